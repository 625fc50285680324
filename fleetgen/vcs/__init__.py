"""Git: reading a ref's tree (`repo`), planning a change against it (`plan`) and committing (`commit`)."""
