"""The schema of subprocessors.toml: who the third parties are and what each may receive."""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from detectors.pii.fieldpaths import pattern_problem
from sentinel.config.daemon import CATEGORY_NAME, LabelName, Severity, Strict, require_unique

KINDS = (
    "payments", "analytics", "advertising", "email", "sms", "support", "crm", "error_tracking",
    "logging", "monitoring", "ai", "search", "identity", "cloud", "cdn", "collaboration", "other",
)
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
DOMAIN_RULE = re.compile(r"^(\*\.)?([a-z0-9*]([a-z0-9\-*]{0,61}[a-z0-9*])?\.)*[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?$")


def _categories(values: list[str], info: ValidationInfo) -> list[str]:
    bad = [v for v in values if v != "*" and not CATEGORY_NAME.match(v)]
    if bad:
        raise ValueError(f"expected upper-case category names like EMAIL or PHONE_NUMBER (or \"*\"), got {bad}")
    # The categories findings can have (the loader passes them): a typo would match nothing,
    # so an allowed category would be flagged everywhere, or a denied one never.
    known = (info.context or {}).get("categories")
    unknown = [v for v in values if v != "*" and known is not None and v not in known]
    if unknown:
        raise ValueError(f"unknown category {', '.join(unknown)}; expected {', '.join(sorted(known))} "
                         "(the detectors' categories and those of [[detectors.custom]]) or \"*\"")
    return values


def _domain_rules(rules: list[str], for_addresses: str) -> list[str]:
    normalised = [d.strip().lower().rstrip(".") for d in rules]
    # "203.0.113.10" reads as a domain rule but no host name ends in digits: it would match nothing.
    addresses = [d for d in normalised if _is_address(d)]
    if addresses:
        raise ValueError(f"{', '.join(addresses)}: an address is not a domain rule; {for_addresses}")
    bad = [d for d in normalised if not DOMAIN_RULE.match(d)]
    if bad:
        raise ValueError(
            f"expected domain rules like \"stripe.com\" (and its subdomains), \"*.stripe.com\" "
            f"(subdomains only) or \"email.*.amazonaws.com\" (* is one label), got {bad}"
        )
    return normalised


def _is_address(rule: str) -> bool:
    try:
        ipaddress.ip_network(rule.strip("[]"), strict=False)
    except ValueError:
        return False
    return True


def _field_patterns(patterns: list[str]) -> list[str]:
    # A pattern that can match no field path would flag every finding of an allowed category.
    problems = [problem for problem in map(pattern_problem, patterns) if problem]
    if problems:
        raise ValueError("; ".join(problems))
    return patterns


class EndpointPolicy(Strict):
    """A narrower rule for one API path: data minimisation per endpoint and field."""

    path: str
    methods: list[str] = []
    # None: the sub-processor's own applies. A list, even empty, replaces it at this endpoint:
    # allow = [] is no personal data, fields = [] any field.
    allow: list[str] | None = None
    fields: list[str] | None = None

    @field_validator("allow")
    @classmethod
    def _allow(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return None if values is None else _categories(values, info)

    @field_validator("fields")
    @classmethod
    def _fields(cls, patterns: list[str] | None) -> list[str] | None:
        return None if patterns is None else _field_patterns(patterns)

    @property
    def specificity(self) -> int:
        """The length of the path's literal prefix: where several endpoints match, the longest wins."""
        return len(self.path.split("*", 1)[0])

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("expected a path starting with '/', '*' matches any run of characters")
        return path


class Policy(Strict):
    allow: list[str] = []
    deny: list[str] = []
    fields: list[str] = []
    endpoints: list[EndpointPolicy] = []
    tls_required: bool = True
    min_tls_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    severity: Severity = "high"

    @field_validator("allow", "deny")
    @classmethod
    def _allow(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return _categories(values, info)

    @field_validator("fields")
    @classmethod
    def _fields(cls, patterns: list[str]) -> list[str]:
        return _field_patterns(patterns)

    @model_validator(mode="after")
    def _no_overlap(self):
        both = sorted(set(self.allow) & set(self.deny))
        if both:
            raise ValueError(f"categories both allowed and denied: {', '.join(both)}")
        return self


class Subprocessor(Strict):
    name: LabelName
    title: str = ""
    kind: Literal[KINDS] = "other"  # type: ignore[valid-type]
    purpose: str = ""
    owner: str = ""
    dpa: str = ""
    domains: list[str] = []
    cidrs: list[str] = []
    policy: Policy = Policy()

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        return _domain_rules(domains, "put addresses in cidrs (e.g. \"203.0.113.10/32\")")

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"expected CIDR ranges like 192.0.2.0/24 or 2001:db8::/32, got {cidr!r}") from None
        return cidrs

    @model_validator(mode="after")
    def _reachable(self):
        if not self.domains and not self.cidrs:
            raise ValueError("a sub-processor needs domains or cidrs, else no traffic can be tied to it")
        return self


class UnknownDestinations(Strict):
    alert: bool = True
    severity: Severity = "low"
    pii_severity: Severity = "high"
    ignore: list[str] = []  # domain rules, as a sub-processor's domains

    @field_validator("ignore")
    @classmethod
    def _ignore(cls, rules: list[str]) -> list[str]:
        return _domain_rules(rules, "ignore takes host names only")


class SecretsPolicy(Strict):
    severity: Severity = "critical"
    allow_to: list[str] = []


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
        require_unique("sub-processor", [s.name for s in subprocessors])
        owners: dict[str, str] = {}
        for sub in subprocessors:
            for domain in sub.domains:
                if domain in owners and owners[domain] != sub.name:
                    raise ValueError(f"domain {domain!r} is claimed by both {owners[domain]!r} and {sub.name!r}")
                owners[domain] = sub.name
        return subprocessors
