"""The fleet spec: typed models (`models`), quantity parsing (`quantity`) and file loading (`load`)."""
