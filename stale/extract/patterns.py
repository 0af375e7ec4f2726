"""Vocabularies and token tests shared by the classifier and the command parser.

Every test here answers "is this token a claim of kind X, and what is its
normalised subject?" and errs on the side of *no*: a false claim becomes a false
"stale" verdict.
"""

from __future__ import annotations

import re
from functools import lru_cache


def wordset(text: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words in `text`."""
    return frozenset(text.split())


def may_contain(text: str, stems: tuple[str, ...]) -> bool:
    """False only when `text` holds none of `stems` (lower-case ASCII literals),
    compared case-insensitively: then a pattern that needs one of them, even
    under re.IGNORECASE, cannot match `text` and need not be run.

    Decided for ASCII text only. There lower() is exactly the case folding of
    re.IGNORECASE; in other text some letters match ASCII ones under IGNORECASE
    that lower() leaves alone ('ı' matches i, 'ſ' s, the Kelvin sign k), so such
    text may always contain a stem."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(map(low.__contains__, stems))  # no generator: about twice as fast


# --------------------------------------------------------------------------- words

#: ALL-CAPS words that are not environment variables.
CAPS_WORDS = wordset(
    """
    HTTP HTTPS JSON YAML TOML XML HTML CSS CSV TSV SQL TODO FIXME NOTE NOTES README API APIS
    URL URI URLS GET POST PUT PATCH DELETE HEAD OPTIONS TRACE CONNECT SELECT INSERT UPDATE
    CREATE DROP ALTER TABLE INDEX FROM WHERE JOIN ORDER GROUP LIMIT COUNT VALUES INTO NULL
    TRUE FALSE NONE YES OFF AND NOT ALL ANY LICENSE CHANGELOG CONTRIBUTING AUTHORS OWNERS
    CODEOWNERS MAINTAINERS SECURITY WARNING WARN ERROR INFO DEBUG FATAL CRITICAL IMPORTANT
    CAUTION TIP DONE WIP ASAP FYI LGTM PTAL NACK EOF EOL UTF8 ASCII UUID GUID UTC GMT ISO
    RFC TLS SSL SSH SFTP FTP SMTP IMAP DNS TCP UDP IPV4 IPV6 CIDR VPN VPC AWS GCP AZURE
    IAM RBAC ACL JWT CORS CSRF XSS OAUTH OIDC SAML LDAP SAML2 GRPC REST SOAP SDK CLI GUI
    CPU GPU RAM SSD HDD DISK LINUX MACOS UNIX POSIX STDIN STDOUT STDERR SIGTERM SIGKILL
    SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 PID EXIT FAQ TBD TBA NB PS OK ON OR IF ELSE
    THEN WHEN CASE BEGIN END COMMIT ROLLBACK PRIMARY FOREIGN KEY UNIQUE CHECK DEFAULT
    CASCADE RESTRICT GRANT REVOKE VIEW SCHEMA DATABASE EXISTS DISTINCT UNION HAVING BETWEEN
    LIKE MERGE UPSERT TRUNCATE VACUUM ANALYZE EXPLAIN RETURNING NULLS ASC DESC BY WITH
    MUST SHOULD SHALL MAY REQUIRED OPTIONAL RECOMMENDED NEVER ALWAYS ONLY STOP HALT
    PROD PROD STAGING DEV QA UAT SLA SLO SLI KPI OKR RCA MTTR MTTD ETA EOD EOW
    MD5 SHA1 SHA256 SHA512 HMAC AES RSA ECDSA BASE64 PEM PKCS12 CRLF UTF16
    """
)

#: Standard environment variables a repository does not define.
SYSTEM_ENV = wordset(
    """
    PATH HOME USER USERNAME SHELL PWD OLDPWD LANG LANGUAGE LC_ALL LC_CTYPE TERM TMPDIR TEMP
    TMP EDITOR VISUAL PAGER HOSTNAME DISPLAY LOGNAME MAIL PS1 PS2 IFS UID EUID PPID
    SSH_AUTH_SOCK SSH_AGENT_PID XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
    PYTHONPATH PYTHONHOME VIRTUAL_ENV CONDA_PREFIX GOPATH GOROOT GOBIN JAVA_HOME NODE_PATH
    KUBECONFIG DOCKER_HOST DOCKER_BUILDKIT AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    AWS_SESSION_TOKEN AWS_DEFAULT_REGION HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY
    GITHUB_TOKEN GITHUB_ACTIONS GITHUB_WORKSPACE GITHUB_SHA GITHUB_REF CI_COMMIT_SHA
    CI_COMMIT_REF_NAME CI_PROJECT_DIR MANPATH LD_LIBRARY_PATH DYLD_LIBRARY_PATH CC CXX
    CFLAGS LDFLAGS SHLVL COLUMNS LINES RANDOM SECONDS HISTFILE HISTSIZE
    """
)

#: Words that mark an example or placeholder rather than a real name.
PLACEHOLDER_WORDS = wordset(
    """
    foo bar baz qux quux xxx xxxx yyy zzz placeholder changeme change_me dummy
    replace_me replaceme todo tbd your yours my mine someone something sample lorem ipsum
    """
)

# Compiled once: re.search(str, ...) and friends look the pattern up in re's cache
# on every call, and these run for every token the memoised tests have not seen.
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
#: Any whitespace character: for a str pattern \s is exactly str.isspace() (both are
#: Py_UNICODE_ISSPACE; tests/test_extract_speed_paths.py checks every code point),
#: one C-level search instead of a generator over the characters.
SPACE_RE = re.compile(r"\s")
_TWO_CAPS_RE = re.compile(r"[A-Z]{2}")
_SCRIPT_SUFFIX_RE = re.compile(r"\.(?:sh|bash|zsh|py|rb|pl|js|mjs|cjs|ts|ps1)$")
_LINE_ANCHOR_RE = re.compile(r"#L\d+(?:-L?\d+)?$")
_LINE_SUFFIX_RE = re.compile(r":\d+(?::\d+)?$")
_NOT_PATH_CHAR_RE = re.compile(r"[<>{}*?\[\]|;\"'`,()=:!#&\\^]")
_LETTER_RE = re.compile(r"[A-Za-z]")
_LOWER_DIR_RE = re.compile(r"[a-z0-9_][a-z0-9_.-]*")
#: PLACEHOLDER_WORDS and the words "example" and "examples" (see is_placeholder).
_PLACEHOLDER_OR_EXAMPLE = PLACEHOLDER_WORDS | {"example", "examples"}

_PLACEHOLDER_RE = re.compile(
    r"<[^<>]*>|\{\{?[^{}]*\}\}?|\.\.\.|…|path/to/|\*\*\*|x{4,}|X{4,}"
    r"|(?:^|[^A-Za-z0-9])(?:my|your|some)[-_]|example\.(?:com|org|net)",
    re.IGNORECASE,
)


def is_placeholder(s: str, *, allow_example: bool = False) -> bool:
    """True for `<your-token>`, `{name}`, `my-branch`, `foo`, `example.com`, ...

    With allow_example, the word "example" alone does not make a placeholder
    (`config/app.example.yaml`, `examples/` are real repository files)."""
    low = s.lower()
    if _ascii_placeholder(s, low) if s.isascii() else _PLACEHOLDER_RE.search(s):
        return True
    words = PLACEHOLDER_WORDS if allow_example else _PLACEHOLDER_OR_EXAMPLE
    return not words.isdisjoint(_NON_ALNUM_RE.split(low))


_MY_PREFIX_RE = re.compile(r"(?:^|[^a-z0-9])(?:my|your|some)[-_]")


def _ascii_placeholder(s: str, low: str) -> bool:
    """bool(_PLACEHOLDER_RE.search(s)) for an ASCII `s` (`low` is s.lower(), which
    for ASCII is what re.IGNORECASE folds), one alternative at a time: the search
    tries all ten at every position, some microseconds a token.
    tests/test_extract_speed_paths.py compares the two."""
    lt = s.find("<")
    if lt >= 0 and s.rfind(">") > lt:  # <[^<>]*> (the last "<" before a ">" starts one)
        return True
    lb = s.find("{")
    if lb >= 0 and s.rfind("}") > lb:  # \{\{?[^{}]*\}\}? (likewise)
        return True
    if "..." in s or "***" in s or "xxxx" in low or "path/to/" in low:
        return True
    if "example." in low and ("example.com" in low or "example.org" in low or "example.net" in low):
        return True
    return (
        ("-" in s or "_" in s)
        and ("my" in low or "your" in low or "some" in low)
        and _MY_PREFIX_RE.search(low) is not None
    )


# --------------------------------------------------------------------------- env


_GENERIC_ENV = frozenset(
    {
        "VAR_NAME",
        "ENV_VAR",
        "ENV_VARS",
        "ENV_NAME",
        "VARIABLE",
        "VARIABLE_NAME",
        "KEY_NAME",
        "SECRET_NAME",
    }
)
_ENV_RE = re.compile(r"^\$?\{?([A-Z][A-Z0-9_]*)\}?$")


@lru_cache(maxsize=8192)
def env_name(token: str) -> str | None:
    """`BILLING_DB_URL`, `$PORT`, `${API_KEY}` -> the variable name, else None."""
    m = _ENV_RE.match(token.strip())
    if not m:
        return None
    name = m.group(1)
    if token.startswith("${") != token.endswith("}"):
        return None
    if "_" not in name.strip("_") and len(name) < 4:
        return None
    if name in CAPS_WORDS or name in SYSTEM_ENV:
        return None
    if not _TWO_CAPS_RE.search(name):
        return None
    parts = [p for p in name.split("_") if p]
    if not parts or all(p.isdigit() or len(p) == 1 for p in parts):
        return None
    if is_placeholder(name.replace("_", "-")) or name in _GENERIC_ENV:
        return None
    return name


# --------------------------------------------------------------------------- paths

PATH_EXTENSIONS = wordset(
    """
    py pyi sh bash zsh fish go ts tsx js jsx mjs cjs rb rs java kt kts scala sc c h cc cpp
    hpp cxx cs php swift dart ex exs erl hrl lua pl pm r jl vue svelte yaml yml toml json
    jsonc json5 ini cfg conf env properties md markdown rst adoc txt sql tf tfvars hcl nomad
    xml proto graphql gql html htm css scss sass less lock mod sum gradle sbt ipynb csv tsv
    j2 jinja jinja2 tpl tmpl mk dockerfile ps1 bat cmd service timer rego cue jsonnet
    libsonnet nix bzl bazel star
    """
)

PATH_BASENAMES = wordset(
    """
    Dockerfile Makefile GNUmakefile Procfile Jenkinsfile Vagrantfile Gemfile Rakefile
    Justfile justfile Taskfile Brewfile Pipfile Caddyfile Tiltfile Earthfile CODEOWNERS
    BUILD WORKSPACE Containerfile
    """
)

#: Dot files that live in a repository.
DOTFILES = wordset(
    """
    .gitignore .gitattributes .gitmodules .dockerignore .editorconfig .npmrc .nvmrc .yarnrc
    .python-version .ruby-version .node-version .tool-versions .envrc .prettierrc .eslintrc
    .babelrc .flake8 .pylintrc .coveragerc .bazelrc .terraform-version .helmignore
    """
)

#: Files that are normally git-ignored, so "missing from the repo" says nothing.
LOCAL_FILES = frozenset({".env", ".env.local", ".envrc.local", ".env.development.local"})

#: First path segments that mark a repository directory.
REPO_DIRS = wordset(
    """
    src lib libs app apps pkg cmd internal scripts script bin tools tooling deploy deployment
    deployments config configs conf etc docs doc test tests spec specs charts chart helm k8s
    kubernetes kustomize manifests infra infrastructure terraform tf migrations db database
    services service packages modules api web frontend backend server client build ci ops
    hack vendor proto protos schemas schema templates static assets public resources
    fixtures examples example cli core common shared utils plugins jobs workers cron
    ansible playbooks environments env envs stacks workflows
    """
)

_GIT_REF_HEADS = frozenset({"origin", "upstream", "refs", "heads", "remotes", "tags"})
_MIME_TOPS = frozenset(
    {"application", "text", "image", "audio", "video", "multipart", "font", "model", "message"}
)
TLDS = wordset(
    """
    com org net io dev co ai app cloud internal local corp lan edu gov uk de fr eu us ca
    me info biz sh xyz tech
    """
)
#: Technology names that look like file names.
_TECH_FILENAMES = wordset(
    """
    node.js next.js nuxt.js vue.js react.js express.js d3.js chart.js three.js ember.js
    backbone.js angular.js socket.io nest.js deno.js bun.js
    """
)

#: Parts of a path, each non-empty and of [A-Za-z0-9_.@+-], separated by "/".
_PARTS_RE = re.compile(r"[A-Za-z0-9_.@+-]+(?:/[A-Za-z0-9_.@+-]+)*")
#: ... each of [a-z0-9_.-].
_LOWER_PARTS_RE = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)*")
_DOMAIN_RE = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$")


def has_file_suffix(base: str) -> bool:
    if base in PATH_BASENAMES or base in DOTFILES:
        return True
    if base.startswith(("Dockerfile.", "Makefile.", "Containerfile.")):
        return True
    if base.startswith(".env.") or base.endswith(".env"):
        return True
    if "." in base.strip("."):
        ext = base.rsplit(".", 1)[1].lower()
        return ext in PATH_EXTENSIONS
    return False


def is_script_name(token: str) -> bool:
    base = token.rsplit("/", 1)[-1]
    return bool(_SCRIPT_SUFFIX_RE.search(base))


@lru_cache(maxsize=8192)
def path_subject(token: str, *, strict_dirs: bool = True) -> str | None:
    """A repo-relative path claim from a token, or None.

    Accepts `scripts/deploy.sh`, `./bin/acme`, `settings.yaml`, `deploy/k8s/`.
    Rejects absolute and home paths, URLs, placeholders, globs, domains, MIME
    types, git refs and prose like `and/or`."""
    s = token.strip().strip(",;")
    if not s or len(s) > 200 or SPACE_RE.search(s):
        return None
    if "://" in s or s.startswith(("www.", "/", "~", "\\", "$", "-", "@", "%", "..")):
        return None
    if "#" in s:  # each suffix pattern needs its "#" or ":" (most tokens hold neither)
        s = _LINE_ANCHOR_RE.sub("", s)
    if ":" in s:
        s = _LINE_SUFFIX_RE.sub("", s)
    if _NOT_PATH_CHAR_RE.search(s):
        return None
    while s.startswith("./"):
        s = s[2:]
    trailing = s.endswith("/")
    s = s.rstrip("/")
    if not s:
        return None
    parts = s.split("/")
    # one pattern over the whole path for "every part is non-empty and of _PART_RE"
    if ".." in parts or "." in parts or not _PARTS_RE.fullmatch(s):
        return None
    if not _LETTER_RE.search(s):
        return None
    low = s.lower()
    if s in LOCAL_FILES or low in _TECH_FILENAMES:
        return None
    first = parts[0]
    first_low = first.lower()
    is_domain = (  # a domain has a "."
        "." in first_low and _DOMAIN_RE.match(first_low) and first_low.rsplit(".", 1)[-1] in TLDS
    )
    if is_domain and (len(parts) > 1 or not has_file_suffix(first)):
        return None
    if is_placeholder(s, allow_example=True):
        return None
    if (
        "ample" in low
        and any(  # "example" and "sample" both hold it
            p.split(".")[0].lower() in ("example", "sample") for p in parts if p[:1] != "."
        )
    ):
        return None
    base = parts[-1]
    suffix = has_file_suffix(base)
    if len(parts) == 1:
        if suffix:
            return s
        if trailing and _LOWER_DIR_RE.fullmatch(base) and base not in ("and", "or"):
            return s
        return None
    if suffix:
        return s
    if first_low in _GIT_REF_HEADS:
        return None
    if len(parts) == 2 and first_low in _MIME_TOPS:
        return None
    if first_low in REPO_DIRS or first.startswith("."):
        return s
    if not strict_dirs and len(parts) >= 3:
        return s
    if len(parts) >= 3 and _LOWER_PARTS_RE.fullmatch(s):
        return s
    return None


# --------------------------------------------------------------------------- endpoints

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHOD_RE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/\S*)$", re.IGNORECASE)
_FS_ROOTS = wordset(
    """
    etc usr var tmp home opt bin sbin dev proc sys root mnt srv lib lib64 boot run media
    private Users Applications Library Volumes System data workspace app code
    """
)
_ROUTE_HEADS = re.compile(r"^/(?:api|graphql|v\d+|healthz?|readyz|livez|metrics|webhooks?)(?:/|$)")
_PARAM_RE = re.compile(r"\{[^{}/]*\}|<[^<>/]*>|(?<=/):[A-Za-z_][A-Za-z0-9_]*|\[[A-Za-z_]+\]")


_QUERY_RE = re.compile(r"[?#]")
_ROUTE_RE = re.compile(r"/[A-Za-z0-9_\-./{}~%@+]*")


def normalize_route(path: str) -> str | None:
    p = _QUERY_RE.split(path, maxsplit=1)[0]
    p = _PARAM_RE.sub("{}", p)
    if len(p) > 1:
        p = p.rstrip("/")
    if not p.startswith("/") or not _ROUTE_RE.fullmatch(p):
        return None
    if "//" in p or is_placeholder(p.replace("{}", "")):
        return None
    return p


@lru_cache(maxsize=8192)
def endpoint_subject(token: str, *, bare_ok: bool = True) -> str | None:
    """`GET /v1/invoices/{id}` -> "GET /v1/invoices/{}"; `/api/refunds` -> "/api/refunds"."""
    s = token.strip()
    m = _METHOD_RE.match(s) if "/" in s else None  # the route needs its "/"
    if m:
        route = normalize_route(m.group(2))
        return f"{m.group(1).upper()} {route}" if route else None
    if not bare_ok or not s.startswith("/") or SPACE_RE.search(s):
        return None
    head = s[1:].split("/", 1)[0]
    if head in _FS_ROOTS:
        return None
    if not (_ROUTE_HEADS.match(s) or (_PARAM_RE.search(s) and s.count("/") >= 2)):
        return None
    return normalize_route(s)


# --------------------------------------------------------------------------- versions

KNOWN_IMAGES = wordset(
    """
    python node golang postgres postgresql redis mysql mariadb mongo nginx alpine ubuntu
    debian ruby openjdk eclipse-temurin amazoncorretto rust php elasticsearch opensearch
    rabbitmq memcached httpd busybox centos fedora rockylinux maven gradle zookeeper
    traefik haproxy caddy consul vault localstack minio clickhouse cassandra influxdb
    grafana prometheus kafka confluentinc/cp-kafka bitnami/kafka bitnami/redis
    bitnami/postgresql mcr.microsoft.com/dotnet/sdk mcr.microsoft.com/dotnet/aspnet
    """
)

_IMAGE_RE = re.compile(
    r"^((?:[a-z0-9.-]+(?::\d+)?/)?[a-z0-9][a-z0-9._/-]*):(v?[0-9][A-Za-z0-9._-]*)(?:@sha256:[0-9a-f]+)?$"
)

VERSION_SUBJECTS = {
    "python": "python",
    "python3": "python",
    "postgresql": "postgres",
    "postgres": "postgres",
    "node.js": "node",
    "nodejs": "node",
    "node": "node",
    "go": "go",
    "golang": "go",
    "redis": "redis",
    "java": "java",
    "openjdk": "java",
    "ruby": "ruby",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "terraform": "terraform",
    "kubernetes": "kubernetes",
    "helm": "helm",
    "rust": "rust",
    "php": "php",
    "elasticsearch": "elasticsearch",
    "kafka": "kafka",
    "mongodb": "mongo",
    "mongo": "mongo",
    "django": "django",
    "rails": "rails",
    "typescript": "typescript",
    "kotlin": "kotlin",
    "ubuntu": "ubuntu",
    "debian": "debian",
    "alpine": "alpine",
    "nginx": "nginx",
}


_TAG_VERSION_RE = re.compile(r"v?\d+(?:\.\d+)*")


@lru_cache(maxsize=8192)
def image_version(token: str) -> tuple[str, str] | None:
    """`python:3.11-slim` -> ("python", "3.11"); `ghcr.io/acme/api:1.4.2` -> (..., "1.4.2")."""
    m = _IMAGE_RE.match(token.strip()) if ":" in token else None  # the tag needs its ":"
    if not m:
        return None
    name, tag = m.group(1), m.group(2)
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name not in KNOWN_IMAGES and "/" not in name:
        return None
    if is_placeholder(name) or ("/" in name and not _LOWER_RE.search(name.split("/")[-1])):
        return None
    v = _TAG_VERSION_RE.match(tag)
    if not v:
        return None
    subject = VERSION_SUBJECTS.get(name, name) if "/" not in name else name
    return subject, v.group(0)


_TECH_ALT = (
    r"Python3?|PostgreSQL|Postgres|Node\.js|NodeJS|Node|Go|Golang|Redis|Java|OpenJDK|Ruby"
    r"|MySQL|MariaDB|Terraform|Kubernetes|Helm|Rust|PHP|Elasticsearch|Kafka|MongoDB|Django"
    r"|Rails|TypeScript|Kotlin|Ubuntu|Debian|Alpine|Nginx"
)
_COUNT_NOUNS = (
    r"nodes?|replicas?|instances?|servers?|clusters?|shards?|pods?|times|minutes?|mins?|seconds?"
    r"|secs?|hours?|days?|weeks?|months?|years?|[KMGT]i?B|%|x|workers?|threads?|connections?"
    r"|process(?:es)?|cores?|vCPUs?|containers?|databases?|tables?|steps?|of|out"
    r"|machines?|hosts?|brokers?|partitions?|users?|requests?|rows?|items?|files?|lines?"
)
_PROSE_VERSION_RE = re.compile(
    r"(?<![\w./-])(" + _TECH_ALT + r")[ \t]+v?(\d+(?:\.\d+){0,2})(?:\.x)?"
    r"(?![\w/-]|\.\d)(?![ \t]+(?:" + _COUNT_NOUNS + r")\b)",
    re.IGNORECASE,
)


#: Every match of _PROSE_VERSION_RE holds a blank, maybe a "v", then a digit (the
#: [ \t]+v?\d after the name): one cheap search rules most sentences out.
_VERSION_CUE_RE = re.compile(r"[ \t]v?\d", re.IGNORECASE)
#: The prose version pattern needs one of these names (every alternative of
#: _TECH_ALT, lower-cased, holds one).
TECH_STEMS = tuple(
    sorted(
        wordset(
            """
            python postgres node go redis java openjdk ruby mysql mariadb terraform kubernetes
            helm rust php elasticsearch kafka mongodb django rails typescript kotlin ubuntu
            debian alpine nginx
            """
        )
    )
)


def prose_versions(text: str) -> list[tuple[str, str, int]]:
    """("python", "3.9", offset) for "Python 3.9", "Node.js 18", "Go 1.21"."""
    out: list[tuple[str, str, int]] = []
    # most sentences name no version: no blank before a digit, or no name
    if not (_VERSION_CUE_RE.search(text) and may_contain(text, TECH_STEMS)):
        return out
    for m in _PROSE_VERSION_RE.finditer(text):
        name = m.group(1).lower()
        subject = VERSION_SUBJECTS.get(name.rstrip("3") if name == "python3" else name)
        if subject is None:
            continue
        ver = m.group(2)
        if subject == "go" and "." not in ver:
            continue
        if subject == "node" and name == "node" and "." not in ver and int(ver) < 10:
            continue
        if subject in ("kubernetes", "ubuntu") and "." not in ver:
            continue
        out.append((subject, ver, m.start()))
    return out


# --------------------------------------------------------------------------- symbols

#: First segments of dotted names that belong to a standard library or runtime.
STD_ROOTS = wordset(
    """
    os sys re json time datetime math random logging subprocess pathlib typing collections
    itertools functools shutil tempfile io abc asyncio threading multiprocessing socket
    http urllib uuid hashlib base64 pickle copy enum dataclasses contextlib argparse
    unittest pytest self this cls super np pd plt tf torch console window document process
    Math JSON Object Array Promise String Number Date fmt strings errors context ioutil
    log net bytes strconv sync java javax System Console std core alloc super
    """
)

BUILTIN_CALLS = wordset(
    """
    print len open range str int float bool dict list set tuple map filter zip sorted
    reversed sum min max abs isinstance issubclass super type getattr setattr hasattr
    repr input iter next enumerate format round hash id vars dir help exit quit main init
    run start stop setup teardown get set put post delete update create read write close
    send recv connect call apply test describe it expect require import fetch then catch
    finally resolve reject log debug info warn warning error parse load dump dumps loads
    append extend pop push shift keys values items copy clear
    """
)

#: Product and technology names written in CamelCase.
PRODUCT_NAMES = frozenset(
    n.lower()
    for n in wordset(
        """
    JavaScript TypeScript CoffeeScript GitHub GitLab BitBucket PostgreSQL MySQL MariaDB
    MongoDB DynamoDB CouchDB CockroachDB InfluxDB RethinkDB FoundationDB ClickHouse BigQuery
    RedShift SageMaker CloudWatch CloudFormation CloudFront CloudTrail CloudFlare PagerDuty
    LaunchDarkly OpenAPI OpenSearch OpenTelemetry OpenShift OpenStack OpenAI OpenSSL OpenSSH
    OpenID OAuth GraphQL YouTube LinkedIn WordPress PowerShell PowerPoint VSCode IntelliJ
    PyCharm WebStorm GoLand DataDog NewRelic SonarQube SonarCloud RabbitMQ ActiveMQ ZeroMQ
    ZooKeeper TensorFlow PyTorch NumPy SciPy FastAPI GitOps DevOps DevSecOps SecOps MLOps
    ChatGPT iCloud macOS iOS iPadOS tvOS watchOS iPhone iPad eBay CircleCI TravisCI AppVeyor
    ArgoCD FluxCD HashiCorp CoreDNS StatusPage OpsGenie ServiceNow SharePoint OneDrive
    OneNote DocuSign HubSpot SalesForce QuickBooks NetSuite WebSocket WebSockets WebAssembly
    WebRTC WebGL JSONPath XPath jQuery gRPC NoSQL PgBouncer PgAdmin DBeaver MkDocs
    ReadTheDocs SendGrid MailChimp MailGun TeamCity BuildKite GoCD JFrog DockerHub LastPass
    OnePassword KeyCloak PlayStation XBox MacBook ThinkPad AirPods YAMLs JSONs PRs ChromeOS
    FreeBSD OpenBSD NetBSD RedHat CentOS LibreOffice BitTorrent TikTok WhatsApp FaceTime
    PayPal AdWords AdSense DoorDash AirBnB DropBox SoundCloud SnowFlake DataBricks TimescaleDB
    """
    )
)

#: CamelCase names that belong to runtimes and platforms, not to the repository:
#: language built-ins, Kubernetes kinds and pod states, naming-style words.
PLATFORM_NAMES = wordset(
    """
    snake_case camelCase CamelCase PascalCase kebab-case SCREAMING_SNAKE_CASE lower_case
    upper_case TitleCase NullPointerException IllegalArgumentException IllegalStateException
    RuntimeException IOException FileNotFoundException ClassNotFoundException
    ClassCastException IndexOutOfBoundsException ArrayIndexOutOfBoundsException
    NumberFormatException UnsupportedOperationException TimeoutException
    InterruptedException ExecutionException OutOfMemoryError StackOverflowError
    ReferenceError RangeError SyntaxError EvalError URIError AggregateError TypeError
    HashMap ArrayList LinkedList StringBuilder CompletableFuture ConcurrentHashMap
    CrashLoopBackOff ImagePullBackOff ErrImagePull OOMKilled ContainerCreating
    PodInitializing CreateContainerConfigError CreateContainerError RunContainerError
    NotReady DiskPressure MemoryPressure PIDPressure NetworkUnavailable DeadlineExceeded
    ConfigMap StatefulSet DaemonSet ReplicaSet CronJob PersistentVolume
    PersistentVolumeClaim ServiceAccount ClusterRole ClusterRoleBinding RoleBinding
    NetworkPolicy HorizontalPodAutoscaler PodDisruptionBudget CustomResourceDefinition
    StorageClass IngressClass LimitRange ResourceQuota EndpointSlice ServiceMonitor
    PodMonitor PrometheusRule VirtualService DestinationRule ExternalSecret SealedSecret
    AccessDenied AccessDeniedException NoSuchKey NoSuchBucket ThrottlingException
    AssumeRole AssumeRoleWithWebIdentity GetObject PutObject ListBucket DeleteObject
    AmazonS3FullAccess AdministratorAccess ReadOnlyAccess
    """
)


def _builtin_names() -> frozenset[str]:
    import builtins

    return frozenset(n for n in dir(builtins) if not n.startswith("_"))


BUILTIN_NAMES = _builtin_names()

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED_RE = re.compile(rf"^{_IDENT}(?:(?:\.|::){_IDENT})*$")
_CALL_RE = re.compile(rf"^({_IDENT}(?:(?:\.|::){_IDENT})*)\(([^()]{{0,80}})\)$")


_LOWER_RE = re.compile(r"[a-z]")
_UPPER_RE = re.compile(r"[A-Z]")
_CAPS_PLURAL_RE = re.compile(r"[A-Z]{2,}s")
_CAPITALISED_RE = re.compile(r"[A-Z][A-Za-z0-9]*")
_CAMEL_RE = re.compile(r"[a-z][a-z0-9]+(?:[A-Z][a-z0-9]*)+")
_NAME_SEP_RE = re.compile(r"\.|::")
_ALL_CAPS_RE = re.compile(r"[A-Z0-9_]+")


def _is_codeish_word(w: str) -> bool:
    """snake_case with an inner underscore, CamelCase with 2+ humps, camelCase."""
    core = w.strip("_")
    if not core or (w.startswith("__") and w.endswith("__")):
        return False
    if w.lower() in PRODUCT_NAMES:
        return False
    if "_" in core and _LOWER_RE.search(core):
        return True
    if _CAPS_PLURAL_RE.fullmatch(w):  # APIs, URLs, IDs
        return False
    if _CAPITALISED_RE.fullmatch(w):
        return len(_UPPER_RE.findall(w)) >= 2 and bool(_LOWER_RE.search(w)) and len(w) >= 5
    return bool(_CAMEL_RE.fullmatch(w)) and len(w) >= 6


@lru_cache(maxsize=8192)
def symbol_subject(token: str) -> str | None:
    """`load_config()` -> "load_config"; `BillingClient.charge()`; `acme.billing.charge`."""
    t = token.strip()
    call = _CALL_RE.match(t)
    name = call.group(1) if call else (t if _DOTTED_RE.match(t) else None)
    if not name or len(name) > 120:
        return None
    if name.lower() in _TECH_FILENAMES or name in PLATFORM_NAMES or name in BUILTIN_NAMES:
        return None
    parts = _NAME_SEP_RE.split(name)
    if any(p.lower() in PLACEHOLDER_WORDS or p.lower() in ("example", "my", "your") for p in parts):
        return None
    if is_placeholder(name.replace(".", "-")):
        return None
    if len(parts) == 1:
        w = parts[0]
        if _ALL_CAPS_RE.fullmatch(w):
            return None  # ALL_CAPS: env or a constant, decided elsewhere
        if call:
            if w.lower() in BUILTIN_CALLS or len(w) < 3:
                return None
            return w
        return w if _is_codeish_word(w) else None
    if parts[0] in STD_ROOTS:
        return None
    if any(len(p) < 2 for p in parts):
        return None
    if all(p.islower() for p in parts) and parts[-1] in TLDS:
        return None
    if all(p.isupper() for p in parts):
        return None
    return name
