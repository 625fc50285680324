"""The remote URLs of a git repository, read from its config file as git reads them.

Owns: `remote_urls`, which the `gitops-repo-path` rule compares with `gitops.repo` and the run
cache keys on. Must not run git or write files.
"""

from __future__ import annotations

from pathlib import Path


def remote_urls(config: Path) -> list[str]:
    """The `remote.*.url` and `remote.*.pushurl` values of a git config file (and the files it
    `[include]`s), in file order, with the config's `url.<base>.insteadOf` aliases expanded as git
    expands them (the longest matching prefix wins); empty when it cannot be read.

    Read with GitPython's config parser (no git process). Only the repository's own config is read,
    not the user's `~/.gitconfig`, so the result is the same on every machine."""
    import git

    try:
        parser = git.GitConfigParser(str(config), read_only=True)
        parser.read()
        aliases: dict[str, str] = {}
        urls: list[str] = []
        for section in parser.sections():
            values = {option.lower(): found for option, found in parser.items_all(section)}  # (keys ignore case)
            if section.startswith("url ") and section[4:].startswith('"') and section.endswith('"'):
                for alias in values.get("insteadof", ()):
                    aliases[str(alias)] = section[5:-1]
            elif section.startswith("remote "):
                urls += [str(url) for option in ("url", "pushurl") for url in values.get(option, ())]
    except Exception:  # noqa: BLE001 - an unreadable config has no remotes we can compare
        return []
    return [_expand_alias(url, aliases) for url in urls]


def _expand_alias(url: str, aliases: dict[str, str]) -> str:
    """`url` with the longest `insteadOf` prefix it starts with replaced by its base (git-config(1))."""
    matches = [alias for alias in aliases if url.startswith(alias)]
    if not matches:
        return url
    alias = max(matches, key=len)
    return aliases[alias] + url[len(alias):]
