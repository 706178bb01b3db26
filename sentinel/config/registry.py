"""The schema of subprocessors.toml: who the third parties are and what each may receive."""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (AfterValidator, BeforeValidator, Field, StrictBool, ValidationInfo, field_validator,
                      model_validator)

from detectors.pii.fieldpaths import pattern_problem
from sentinel.config.daemon import CATEGORY_NAME, LabelName, Severity, Strict, require_unique

KINDS = (
    "payments", "analytics", "advertising", "email", "sms", "support", "crm", "error_tracking",
    "logging", "monitoring", "ai", "search", "identity", "cloud", "cdn", "collaboration", "other",
)
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
_HOST_LABEL = r"[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?"
# Any label may be "*" (exactly one label), except the last.
DOMAIN_RULE = re.compile(rf"^((\*|{_HOST_LABEL})\.)*{_HOST_LABEL}$")
# Secrets go by [secrets] (allow_to, and a credential in its issuer's authentication fields),
# never by a category list: SECRET there would be read and ignored.
SECRET_NOT_A_POLICY_CATEGORY = (
    "SECRET is judged by [secrets], not by allow or deny: a secret is allowed in the authentication "
    "fields of its own issuer, and anywhere to a sub-processor listed in secrets.allow_to")
# A canary raises watchlist_hit wherever it goes (policy.py): allowing or denying it would
# change nothing.
CANARY_NOT_A_POLICY_CATEGORY = (
    "CANARY is a watchlist canary: it raises watchlist_hit wherever it is seen, so allow and deny "
    "cannot apply to it")


def _category(value: str, info: ValidationInfo) -> str:
    if value == "*":
        return value
    if not CATEGORY_NAME.match(value):
        raise ValueError(f"expected an upper-case category name like EMAIL or PHONE_NUMBER (or \"*\"), got {value!r}")
    if value == "SECRET":
        raise ValueError(SECRET_NOT_A_POLICY_CATEGORY)
    if value == "CANARY":
        raise ValueError(CANARY_NOT_A_POLICY_CATEGORY)
    # The categories findings can have (the loader passes them): a typo would match nothing,
    # so an allowed category would be flagged everywhere, or a denied one never.
    known = (info.context or {}).get("categories")
    if known is not None and value not in known:
        raise ValueError(f"unknown category {value}; expected {', '.join(sorted(set(known) - {'SECRET', 'CANARY'}))} "
                         "(the detectors' categories and those of [[detectors.custom]]) or \"*\"")
    return value


def _domain_rule(rule: str) -> str:
    normalised = rule.strip().lower().rstrip(".")
    if DOMAIN_RULE.match(normalised):
        return normalised
    partial = [label for label in normalised.split(".") if "*" in label and label != "*"]
    if partial:
        # Labels are compared whole: "a*b" would be matched literally, so never.
        raise ValueError(f"{partial[0]!r} in {normalised!r}: '*' stands for exactly one whole label "
                         "(\"email.*.amazonaws.com\"), not part of one")
    raise ValueError(
        f"expected a domain rule like \"stripe.com\" (and its subdomains), \"*.stripe.com\" "
        f"(subdomains only) or \"email.*.amazonaws.com\" (* is one label), got {rule!r}"
    )


def is_address(rule: str) -> bool:
    """An address or a CIDR range, IPv6 ones in brackets or not."""
    try:
        ipaddress.ip_network(rule.strip("[]"), strict=False)
    except ValueError:
        return False
    return True


def _subprocessor_domain(rule: str) -> str:
    # "203.0.113.10" reads as a domain rule but no host name ends in digits: it would match nothing.
    address = rule.strip().lower().rstrip(".")
    if is_address(address):
        raise ValueError(f"{address}: an address is not a domain rule; put addresses in cidrs "
                         "(e.g. \"203.0.113.10/32\")")
    return _domain_rule(rule)


def _ignored_destination(rule: str) -> str:
    """A domain rule, or an address or CIDR range: destinations reached by address (a
    cloud's metadata service, a NAT'd peer) alert as unknown too."""
    if is_address(rule.strip()):
        return str(ipaddress.ip_network(rule.strip().strip("[]"), strict=False))
    return _domain_rule(rule)


def _cidr(cidr: str) -> str:
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        name = any(c.isalpha() for c in cidr) and ":" not in cidr
        raise ValueError(f"expected a CIDR range like 192.0.2.0/24 or 2001:db8::/32, got {cidr!r}"
                         + ("; host names go in domains" if name else "")) from None
    return cidr


def _field_pattern(pattern: str) -> str:
    # A pattern that can match no field path would flag every finding of an allowed category.
    problem = pattern_problem(pattern)
    if problem:
        raise ValueError(problem)
    return pattern


def _method(method: str) -> str:
    upper = method.upper()
    if upper in HTTP_METHODS or upper == "*":
        return upper
    # A misspelt method matches no request: the endpoint's rule would never apply.
    close = difflib.get_close_matches(upper, HTTP_METHODS, n=1)
    raise ValueError(f"{method!r} is not an HTTP method; expected {', '.join(HTTP_METHODS)} or \"*\" (any)"
                     + (f"; did you mean {close[0]}?" if close else ""))


def _tls_version(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # min_tls_version = 1.2 is a TOML number: the versions are strings.
        raise ValueError(f"expected a quoted version, e.g. \"{value}\"" if str(value) in TLS_VERSIONS
                         else "expected a quoted version, e.g. \"1.2\"")
    return value


# Every entry of a list is checked on its own, so that each bad one is reported with its index.
CategoryName = Annotated[str, AfterValidator(_category)]
SubprocessorDomain = Annotated[str, AfterValidator(_subprocessor_domain)]
IgnoredDestination = Annotated[str, AfterValidator(_ignored_destination)]
Cidr = Annotated[str, AfterValidator(_cidr)]
FieldPattern = Annotated[str, AfterValidator(_field_pattern)]
HttpMethod = Annotated[str, AfterValidator(_method)]
TlsVersion = Annotated[Literal["1.0", "1.1", "1.2", "1.3"], BeforeValidator(_tls_version)]


class EndpointPolicy(Strict):
    """A narrower rule for one API path: data minimisation per endpoint and field."""

    path: str
    methods: list[HttpMethod] = []  # upper case; [] (or "*") any method
    # None: the sub-processor's own applies. A list, even empty, replaces it at this endpoint:
    # allow = [] is no personal data, fields = [] any field.
    allow: list[CategoryName] | None = None
    fields: list[FieldPattern] | None = None

    @property
    def specificity(self) -> int:
        """The length of the path's literal prefix: where several endpoints match, the longest wins."""
        return len(self.path.split("*", 1)[0])

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("expected a path starting with '/', '*' matches any run of characters")
        if "?" in path:
            # Requests are matched on their path alone: a rule with a query would never apply.
            raise ValueError(f"{path!r}: the query string is never part of the path matched; drop it from "
                             "the path (a query parameter's data is named in fields, e.g. \"query.email\")")
        return path

    @field_validator("methods")
    @classmethod
    def _any_method(cls, methods: list[str]) -> list[str]:
        return [] if "*" in methods else methods


class Policy(Strict):
    allow: list[CategoryName] = []
    deny: list[CategoryName] = []  # "*": every category, at every endpoint
    fields: list[FieldPattern] = []
    endpoints: list[EndpointPolicy] = []
    tls_required: StrictBool = True
    min_tls_version: TlsVersion = "1.2"
    severity: Severity = "high"

    @field_validator("endpoints")
    @classmethod
    def _endpoints_not_denied(cls, endpoints: list[EndpointPolicy], info: ValidationInfo) -> list[EndpointPolicy]:
        # deny holds at every endpoint: an endpoint allowing a denied category allows nothing.
        deny = info.data.get("deny", [])
        for i, endpoint in enumerate(endpoints):
            allow = endpoint.allow or []
            denied = allow if "*" in deny else [c for c in allow if c in deny]
            if denied:
                raise ValueError(f"[{i}].allow: {', '.join(denied)} denied by the sub-processor's deny, "
                                 "which holds at every endpoint")
        return endpoints

    @model_validator(mode="after")
    def _no_overlap(self):
        both = sorted(set(self.allow) & set(self.deny))
        if both:
            raise ValueError(f"categories both allowed and denied: {', '.join(both)}")
        if "*" in self.deny and self.allow:
            raise ValueError(f"deny = [\"*\"] refuses every category: allow ({', '.join(self.allow)}) would never "
                             "apply")
        return self


class Subprocessor(Strict):
    name: LabelName
    title: str = ""
    kind: Literal[KINDS] = "other"  # type: ignore[valid-type]
    purpose: str = ""
    owner: str = ""
    dpa: str = ""
    domains: list[SubprocessorDomain] = []
    cidrs: list[Cidr] = []
    policy: Policy = Policy()

    @model_validator(mode="after")
    def _reachable(self):
        if not self.domains and not self.cidrs:
            raise ValueError("a sub-processor needs domains or cidrs, else no traffic can be tied to it")
        return self


class UnknownDestinations(Strict):
    alert: StrictBool = True
    severity: Severity = "low"
    pii_severity: Severity = "high"
    ignore: list[IgnoredDestination] = []  # domain rules, as a sub-processor's domains; addresses, CIDRs


class SecretsPolicy(Strict):
    severity: Severity = "critical"
    allow_to: list[str] = []


class SpecialCategories(Strict):
    # A violation carrying health, ethnic origin, religion, sexual orientation and the rest
    # of GDPR Art. 9 is raised to at least this severity.
    severity: Severity = "critical"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def unknown_subprocessors(names: list[str], known: list[str]) -> str:
    """What is wrong with ``names`` that name no sub-processor in ``known`` (with the close
    ones, for a typo), or "": such a name would allow, route or silence nothing, unseen."""
    problems = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            problems.append(f"the registry names no sub-processor {name!r}"
                            + (f"; did you mean {', '.join(close)}?" if close else ""))
    return "; ".join(problems)


class Registry(Strict):
    unknown: UnknownDestinations = UnknownDestinations()
    # Before secrets, which names sub-processors: fields are validated in this order.
    subprocessor: list[Subprocessor] = Field(default_factory=list)
    secrets: SecretsPolicy = SecretsPolicy()
    special_categories: SpecialCategories = SpecialCategories()

    def summary(self) -> str:
        """What was loaded, in one line: "3 sub-processors (acme, ...), 5 domain rules, ..."."""
        names = [sub.name for sub in self.subprocessor]
        shown = ", ".join(names[:6]) + (f", +{len(names) - 6} more" if len(names) > 6 else "")
        parts = [_count(len(names), "sub-processor") + (f" ({shown})" if names else ""),
                 _count(sum(len(sub.domains) for sub in self.subprocessor), "domain rule"),
                 _count(sum(len(sub.cidrs) for sub in self.subprocessor), "CIDR range"),
                 _count(sum(len(sub.policy.endpoints) for sub in self.subprocessor), "endpoint rule"),
                 _count(len(self.unknown.ignore), "ignored-host rule")]
        return ", ".join(parts) + f"; secrets allowed to: {', '.join(self.secrets.allow_to) or 'none'}"

    @field_validator("secrets")
    @classmethod
    def _allow_to_known(cls, secrets: SecretsPolicy, info: ValidationInfo) -> SecretsPolicy:
        if "subprocessor" not in info.data:  # invalid, and reported as such
            return secrets
        problem = unknown_subprocessors(secrets.allow_to, [s.name for s in info.data["subprocessor"]])
        if problem:
            raise ValueError(f"secrets.allow_to: {problem}")
        return secrets

    @field_validator("subprocessor")
    @classmethod
    def _unique(cls, subprocessors: list[Subprocessor]) -> list[Subprocessor]:
        # A rule under two sub-processors is refused by load_registry, with the matcher.
        require_unique("sub-processor", [s.name for s in subprocessors])
        return subprocessors
