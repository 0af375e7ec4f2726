"""Shell command lines -> claims. Commands are parsed with shlex, never run.

What a command line claims depends on its program:

* a repository script (`./scripts/deploy.sh`, `python tools/migrate.py`,
  `python -m acme.cli`): the script exists and accepts the flags given;
* `make target` / `npm run x` / `yarn x`: the build target exists;
* an external tool (kubectl, docker, git, ...): nothing about its flags; only
  repository files it is told to read (`kubectl apply -f deploy/k8s/api.yaml`);
* an unknown program name (`acme-cli deploy --fast`): its flags, with the
  program as context (the verifier decides);
* `export FOO=bar` and leading `FOO=bar` assignments: the variable.
"""

from __future__ import annotations

import re
import shlex
import sys
from functools import lru_cache

from stale.extract.patterns import (
    PLACEHOLDER_WORDS,
    env_name,
    has_file_suffix,
    image_version,
    is_placeholder,
    is_script_name,
    path_subject,
    wordset,
)
from stale.extract.segments import Draft
from stale.model import ClaimKind

#: Programs that are not part of the repository: their flags are not claims.
EXTERNAL_TOOLS = wordset(
    """
    kubectl docker docker-compose podman git gh glab hub psql pg_dump pg_restore pg_dumpall
    createdb dropdb mysql mysqldump redis-cli mongo mongosh sqlite3 terraform terragrunt aws
    gcloud gsutil bq az helm helmfile kustomize kind minikube k9s stern kubectx kubens eksctl
    skaffold tilt argocd flux vault consul nomad packer ansible ansible-playbook pulumi
    serverless sam cdk curl wget http httpie ssh scp sftp rsync pip pip3 pipx poetry uv
    conda virtualenv pyenv npx brew apt apt-get yum dnf apk snap systemctl journalctl
    service launchctl cd ls ll cat echo printf export unset source grep egrep rg ag sed awk
    tail head less more vim vi nano emacs code open xdg-open chmod chown mkdir rmdir rm cp mv
    ln touch tee jq yq openssl find xargs sort uniq wc cut tr diff patch tar zip unzip gzip
    gunzip base64 sha256sum md5sum shasum date sleep watch kill pkill killall ps top htop
    df du free uname whoami which whereis env printenv true false test nc netcat telnet
    dig nslookup host ping traceroute netstat ss lsof ip ifconfig go cargo rustc rustup
    gem bundle bundler rake rails composer php dotnet mvn gradle java javac node deno bun
    tsc eslint prettier jest vitest mocha pytest tox nox black ruff mypy flake8 pylint isort
    pre-commit nvm n volta sdk asdf mise direnv gpg sops age keytool crontab tmux screen
    clear history alias set shopt trap wait exit read sudo su make cmake ninja bazel
    docker-machine colima lima multipass vagrant nix nix-shell flyctl fly heroku vercel
    netlify firebase supabase wrangler stripe ngrok mkcert certbot nginx apachectl
    redis-server postgres pg_ctl mongod kafka-topics kafka-console-consumer
    kafka-console-producer celery gunicorn uvicorn flask django-admin alembic locust k6
    ab hey wrk siege pbcopy pbpaste xclip say afplay kubeseal velero istioctl linkerd
    cilium calicoctl crictl ctr nerdctl buildah skopeo cosign trivy grype syft hadolint
    shellcheck actionlint yamllint markdownlint swagger openapi-generator protoc buf
    sqlx flyway liquibase migrate dbmate atlas
    """
)

#: Tool names distinctive enough to recognise in plain prose.
PROSE_TOOL_NAMES = wordset(
    """
    kubectl docker docker-compose podman git psql mysql redis-cli terraform aws gcloud az
    helm curl wget ssh scp pip pip3 npx brew apt apt-get systemctl journalctl jq openssl
    rsync gh poetry npm yarn pnpm python python3 node java cargo kustomize argocd
    """
)

INTERPRETERS = wordset(
    "bash sh zsh dash ksh fish python python2 python3 pypy pypy3 node ruby perl deno bun "
    "ts-node tsx pwsh powershell php"
)

_WRAPPERS = wordset("sudo env time nohup exec command nice caffeinate doas")
_READ_FLAGS = wordset(
    "-f --file --filename --values --config --config-file --env-file -var-file --var-file "
    "-k --kustomize --manifest --values-file --compose-file --policy --rules"
)
_READER_TOOLS = wordset(
    "cat less more head tail vim vi nano emacs code bat jq yq diff wc open pytest mypy ruff "
    "black flake8 pylint isort eslint prettier shellcheck hadolint yamllint tsc"
)
_WRITE_TOOLS = wordset(
    "cp mv rm rmdir mkdir ln touch tee chmod chown git curl wget tar zip unzip gzip scp "
    "rsync echo printf export cd ssh sftp openssl keytool mkcert find grep sed awk"
)
_NPM_BUILTIN_SCRIPTS = {"test": "test", "t": "test", "tst": "test", "start": "start"}
_NPM_BUILTIN_SCRIPTS |= {"stop": "stop", "restart": "restart"}
_YARN_BUILTINS = wordset(
    """
    add install remove upgrade upgrade-interactive up init why info global cache config dlx
    set workspace workspaces link unlink pack publish login logout outdated audit version
    versions create exec bin import licenses list owner tag team policies self-update node
    plugin patch constraints explain npm rebuild unplug dedupe help autoclean check
    generate-lock-entry i ci uninstall update store env fetch prune
    """
)
#: Python modules run with `python -m` that are tools, not the repository's code.
PY_TOOL_MODULES = wordset(
    """
    pip venv virtualenv ensurepip http json pytest unittest doctest pdb cProfile profile
    timeit pydoc site zipfile tarfile black ruff mypy flake8 pylint isort build twine
    pip_audit uvicorn gunicorn celery alembic flask django poetry pipx tox nox coverage
    IPython jupyter notebook ipykernel spacy nltk playwright grpc_tools mkdocs sphinx
    webbrowser smtpd compileall py_compile trace tabnanny calendar base64 gzip uuid
    """
)

_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_LONG_FLAG_RE = re.compile(r"^(--[A-Za-z0-9][A-Za-z0-9_-]*)(?:=.*)?$", re.DOTALL)
_SHORT_FLAG_RE = re.compile(r"^-[A-Za-z]$")
_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
_REDIRECT_OUT = re.compile(r"^\d*(?:>|>>|&>|>&|>\|)$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9._-]*$")
_SCRIPT_NAME_RE = re.compile(r"^[A-Za-z0-9:_./@-]+$")
_MODULE_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_MAKE_TARGET_RE = re.compile(r"[A-Za-z0-9_./-]+")


#: The shell words of a line without quotes, backslashes or "#", exactly as
#: split_words's shlex reads them: runs of its punctuation characters, and runs of
#: anything but those and its whitespace (space, tab, CR, LF; no other).
_PLAIN_SHELL_WORDS_RE = re.compile(r"[;&|()<>]+|[^ \t\r\n;&|()<>]+")


def split_words(line: str) -> list[str]:
    """The words and operators of a shell line, as shlex splits them (POSIX rules,
    `;&|()<>` runs as operators), or the whitespace-separated words when shlex
    cannot (an unclosed quote, a trailing backslash).

    Most lines hold nothing that shlex reads character by character (quotes,
    escapes, comments): those are split with one regular expression, some tens
    of times faster, to the same words (tests/test_extract_fastpaths.py checks
    the two against each other on random lines)."""
    if not ("'" in line or '"' in line or "\\" in line or "#" in line):
        return _PLAIN_SHELL_WORDS_RE.findall(line)
    return shlex_words(line)


def shlex_words(line: str) -> list[str]:
    """split_words by shlex alone (its reference)."""
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lex.whitespace_split = True
        return list(lex)
    except ValueError:
        return line.split()


def tokenize(line: str) -> list[list[str]]:
    """Split a command line into simple commands (on `&&`, `;`, `|`, ...)."""
    tokens = split_words(line)
    commands: list[list[str]] = [[]]
    for tok in tokens:
        if tok in _OPERATORS:
            commands.append([])
        else:
            commands[-1].append(tok)
    return [c for c in commands if c]


def flag_subject(token: str) -> str | None:
    """`--region`, `--region=eu`, `-r` -> the flag; else None."""
    if not token.startswith("-"):  # both patterns need it; most words are no flag
        return None
    m = _LONG_FLAG_RE.match(token)
    if m:
        name = m.group(1)
        if not PLACEHOLDER_WORDS.isdisjoint(name.lstrip("-").lower().split("-")):
            return None
        return name
    if _SHORT_FLAG_RE.match(token):
        return token
    return None


def program_context(token: str) -> str | None:
    """The context a script token gives its flags: "scripts/deploy.sh", "bin/acme"."""
    p = path_subject(token)
    if p is None:
        return None
    if is_script_name(p) or token.startswith("./") or p.startswith(("bin/", "scripts/")):
        return p
    return None


@lru_cache(maxsize=4096)
def analyze_line(line: str) -> tuple[Draft, ...]:
    """All claims one command line makes (see module doc)."""
    out: list[Draft] = []
    for words in tokenize(line):
        out.extend(analyze_command(words))
    return tuple(out)


def _flags(args: list[str], context: str | None) -> list[Draft]:
    out: list[Draft] = []
    for a in args:
        if a == "--":
            break
        f = flag_subject(a)
        if f:
            out.append(Draft(ClaimKind.FLAG, f, None, context))
    return out


def _strip_redirects(words: list[str]) -> tuple[list[str], list[str]]:
    """Drop output redirections; return (words, input files)."""
    # every redirection word holds one of "<>&": most commands have none
    joined = "".join(words)
    if not ("<" in joined or ">" in joined or "&" in joined):
        return list(words), []
    kept: list[str] = []
    inputs: list[str] = []
    skip = False
    for i, w in enumerate(words):
        if skip:
            skip = False
            continue
        if _REDIRECT_OUT.match(w) or w in ("<<", "<<-", "<<<"):
            skip = True
            continue
        if w == "<":
            if i + 1 < len(words):
                inputs.append(words[i + 1])
            skip = True
            continue
        if w in (">", "<", "&"):
            continue
        kept.append(w)
    return kept, inputs


def analyze_command(words: list[str]) -> list[Draft]:
    """Claims made by one simple command (already split by tokenize)."""
    words, inputs = _strip_redirects(words)
    out: list[Draft] = []
    for f in inputs:
        p = path_subject(f)
        if p:
            out.append(Draft(ClaimKind.PATH, p))
    i, envs = _skip_prefix(words)
    out.extend(envs)
    n = len(words)
    if i >= n:
        return out
    prog, args = words[i], words[i + 1 :]
    base = prog.rsplit("/", 1)[-1]
    if base in ("make", "gmake"):
        return out + _make(args)
    if base in ("npm", "yarn", "pnpm"):
        return out + _npm(base, args)
    if base == "export":
        for a in args:
            name = env_name(a.split("=", 1)[0])
            if name:
                out.append(Draft(ClaimKind.ENV, name))
        return out
    if base in INTERPRETERS and not prog.startswith("./"):
        return out + _interpreter(base, args)
    if base in ("gradlew", "mvnw"):
        p = path_subject(prog)
        return out + ([Draft(ClaimKind.PATH, p)] if p else [])
    if prog.startswith("/") or prog.startswith("~"):
        return out
    if "/" in prog or is_script_name(prog):
        p = path_subject(prog)
        if p is None:
            return out
        return [*out, Draft(ClaimKind.PATH, p), *_flags(args, p)]
    if base in EXTERNAL_TOOLS or prog in EXTERNAL_TOOLS:
        return out + _external(base, args)
    if _NAME_RE.match(prog) and not is_placeholder(prog) and len(prog) >= 3:
        return out + _flags(args, prog)
    return out


def _skip_prefix(words: list[str]) -> tuple[int, list[Draft]]:
    """Index of the program word after `VAR=x` assignments and sudo/env."""
    out: list[Draft] = []
    i = 0
    n = len(words)
    while i < n:
        m = _ASSIGN_RE.match(words[i]) if "=" in words[i] else None
        if m:
            name = env_name(m.group(1))
            if name:
                out.append(Draft(ClaimKind.ENV, name))
            i += 1
            continue
        if words[i] in _WRAPPERS:
            w = words[i]
            i += 1
            while i < n and words[i].startswith("-"):
                takes_arg = w in ("sudo", "doas") and words[i] in ("-u", "-g", "-C")
                i += 2 if takes_arg else 1
            continue
        break
    return i, out


@lru_cache(maxsize=4096)
def command_context(line: str) -> tuple[str | None, bool]:
    """(the context this command gives flags, whether its program is external).

    `./scripts/deploy.sh --x` -> ("scripts/deploy.sh", False); `python -m acme.cli`
    -> ("acme.cli", False); `kubectl get pods` -> (None, True); `acme-cli deploy`
    -> ("acme-cli", False)."""
    cmds = tokenize(line)
    if not cmds:
        return None, False
    words, _ = _strip_redirects(cmds[0])
    i, _envs = _skip_prefix(words)
    if i >= len(words):
        return None, False
    prog, args = words[i], words[i + 1 :]
    base = prog.rsplit("/", 1)[-1]
    if base in ("make", "gmake", "npm", "yarn", "pnpm", "export", "gradlew", "mvnw"):
        return None, True
    if base in INTERPRETERS and not prog.startswith("./"):
        drafts = _interpreter(base, args)
        if drafts and drafts[0].kind in (ClaimKind.PATH, ClaimKind.SYMBOL):
            return drafts[0].subject, False
        return None, True
    if prog.startswith(("/", "~")):
        return None, True
    if "/" in prog or is_script_name(prog):
        p = path_subject(prog)
        return p, p is None
    if base in EXTERNAL_TOOLS:
        return None, True
    if _NAME_RE.match(prog) and not is_placeholder(prog) and len(prog) >= 3:
        return prog, False
    return None, False


def _make(args: list[str]) -> list[Draft]:
    out: list[Draft] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-C", "-f", "-I", "-j", "-l", "-o", "-W", "--directory", "--file"):
            skip = True
            continue
        if a.startswith("-") or "=" in a or a.isdigit():
            continue
        if _MAKE_TARGET_RE.fullmatch(a) and not is_placeholder(a):
            out.append(Draft(ClaimKind.COMMAND, f"make {a}"))
    return out


def _npm(tool: str, args: list[str]) -> list[Draft]:
    pos = [a for a in args if not a.startswith("-")]
    if not pos:
        return []
    script: str | None = None
    if pos[0] in ("run", "run-script") and len(pos) > 1:
        script = pos[1]
    elif tool == "npm":
        script = _NPM_BUILTIN_SCRIPTS.get(pos[0])
    elif (pos[0] in _NPM_BUILTIN_SCRIPTS and pos[0] != "t") or pos[0] not in _YARN_BUILTINS:
        script = pos[0]
    if not script or not _SCRIPT_NAME_RE.match(script) or is_placeholder(script):
        return []
    if script.startswith(("@", ".", "/")):
        return []
    return [Draft(ClaimKind.COMMAND, f"npm run {script}")]


def _interpreter(base: str, args: list[str]) -> list[Draft]:
    k = 0
    while k < len(args):
        a = args[k]
        if a in ("-c", "-e", "--eval", "-"):
            return []
        if a == "-m" and base.startswith(("python", "pypy")):
            if k + 1 >= len(args):
                return []
            mod = args[k + 1]
            root = mod.split(".", 1)[0]
            if (
                root in PY_TOOL_MODULES
                or root in sys.stdlib_module_names
                or not _MODULE_RE.fullmatch(mod)
                or is_placeholder(mod.replace(".", "-"))
            ):
                return []
            return [Draft(ClaimKind.SYMBOL, mod), *_flags(args[k + 2 :], mod)]
        if a.startswith("-"):
            k += 1
            continue
        p = path_subject(a)
        if p is None or not (is_script_name(p) or "/" in p):
            return []
        return [Draft(ClaimKind.PATH, p), *_flags(args[k + 1 :], p)]
    return []


def _external(base: str, args: list[str]) -> list[Draft]:
    out: list[Draft] = []
    positional_reads = base in _READER_TOOLS
    writes = base in _WRITE_TOOLS
    k = 0
    while k < len(args):
        a = args[k]
        value: str | None = None
        if "=" in a and a.startswith("-"):
            flag, value = a.split("=", 1)
            if flag not in _READ_FLAGS:
                value = None
        elif a in _READ_FLAGS and k + 1 < len(args):
            value = args[k + 1]
            k += 1
        elif not a.startswith("-") and (positional_reads or (a.startswith("./") and not writes)):
            value = a
        if value is not None:
            p = path_subject(value)
            # a file the tool reads: needs a file name, unless written "./dir"
            if p and (has_file_suffix(p.rsplit("/", 1)[-1]) or value.startswith("./")):
                out.append(Draft(ClaimKind.PATH, p))
        k += 1
    if base in ("docker", "podman", "nerdctl") and args and args[0] in ("run", "pull", "create"):
        for a in args[1:]:
            iv = image_version(a)
            if iv:
                out.append(Draft(ClaimKind.VERSION, iv[0], iv[1]))
                break
    return out
