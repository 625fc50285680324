"""The remote URLs of a git repository, read from its config file as git reads them.

Owns: `remote_urls`, which the `gitops-repo-path` rule compares with `gitops.repo` and the run
cache keys on. Must not run git or write files.
"""

from __future__ import annotations

from pathlib import Path


def remote_urls(config: Path) -> list[str]:
    """The fetch and push URLs of the remotes of a git config file (and the files it
    `[include]`s), in file order, as `git remote -v` shows them: `url.<base>.insteadOf` aliases
    expanded (the longest matching prefix wins), and for a remote without `pushurl` its `url` with
    `url.<base>.pushInsteadOf` applied (git-config(1)); empty when the file cannot be read.

    Read with GitPython's config parser (no git process). Only the repository's own config is read,
    not the user's `~/.gitconfig`, so the result is the same on every machine; `[includeIf]`
    conditions are not evaluated."""
    import git

    try:
        parser = git.GitConfigParser(str(config), read_only=True)
        parser.read()
        aliases: dict[str, str] = {}
        push_aliases: dict[str, str] = {}
        remotes: list[tuple[list[str], list[str]]] = []  # (url values, pushurl values) per remote
        for section in parser.sections():
            values = {option.lower(): found for option, found in parser.items_all(section)}  # (keys ignore case)
            if section.startswith("url ") and section[4:].startswith('"') and section.endswith('"'):
                for alias in values.get("insteadof", ()):
                    aliases[str(alias)] = section[5:-1]
                for alias in values.get("pushinsteadof", ()):
                    push_aliases[str(alias)] = section[5:-1]
            elif section.startswith("remote "):
                remotes.append(([str(u) for u in values.get("url", ())], [str(u) for u in values.get("pushurl", ())]))
    except Exception:  # noqa: BLE001 - an unreadable config has no remotes we can compare
        return []
    out: list[str] = []
    for urls, push_urls in remotes:
        out += [_expand_alias(url, aliases) for url in urls]
        if push_urls:
            out += [_expand_alias(url, aliases) for url in push_urls]
        else:  # (the push URL is the url, rewritten by pushInsteadOf first)
            out += [_expand_alias(url, push_aliases) if _longest(url, push_aliases) else _expand_alias(url, aliases)
                    for url in urls]
    return list(dict.fromkeys(out))


def _longest(url: str, aliases: dict[str, str]) -> str | None:
    """The longest alias `url` starts with, or None."""
    matches = [alias for alias in aliases if url.startswith(alias)]
    return max(matches, key=len) if matches else None


def _expand_alias(url: str, aliases: dict[str, str]) -> str:
    """`url` with the longest alias prefix it starts with replaced by its base (git-config(1))."""
    alias = _longest(url, aliases)
    return url if alias is None else aliases[alias] + url[len(alias):]
