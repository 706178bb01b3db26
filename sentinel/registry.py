"""Tie a destination to a sub-processor: domain rules, wildcards and CIDR ranges.

Rules (from subprocessors.toml):
  "stripe.com"             stripe.com and every subdomain
  "*.stripe.com"           subdomains only
  "email.*.amazonaws.com"  '*' stands for exactly one label
The most specific rule (most labels, exact beats wildcard) wins; for addresses the
longest prefix wins. Unmatched destinations are unknown and keep their
registrable domain (Public Suffix List shipped inside tldextract; never fetched).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sentinel.config.registry import Registry, Subprocessor, is_address

_CACHE_LIMIT = 200_000


@functools.cache
def _psl():
    # Imported on first use (~0.1 s): loading a registry checks its rules with this module,
    # and commands that never name a host's domain should not pay for it.
    import tldextract

    # suffix_list_urls=() keeps tldextract on its bundled snapshot: nothing is downloaded.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@dataclass(frozen=True, slots=True)
class Match:
    subprocessor: str  # "" for an unknown destination
    registrable_domain: str
    host: str  # the name or address that was matched


UNKNOWN = ""
Name = TypeVar("Name")


def is_pattern(rule: str) -> bool:
    """A rule with '*' other than a leading "*." ("email.*.amazonaws.com"): it counts its
    labels, '*' included, and where two of the same length match a host the first listed wins."""
    return "*" in rule and not (rule.startswith("*.") and "*" not in rule[2:])


class DomainRules(Generic[Name]):
    """Domain rules, each standing for a name; a host gets the name of the most specific rule."""

    def __init__(self, rules: Iterable[tuple[str, Name]]):
        self._suffix: dict[str, Name] = {}  # "stripe.com" -> name: the domain and its subdomains
        self._subdomains: dict[str, Name] = {}  # "*.stripe.com" -> name: subdomains only
        self._patterns: list[tuple[tuple[str, ...], Name]] = []  # single-label wildcards in the middle
        for rule, name in rules:
            if is_pattern(rule):
                self._patterns.append((tuple(rule.split(".")), name))
            elif rule.startswith("*."):
                self._subdomains[rule[2:]] = name
            else:
                self._suffix[rule] = name

    def match(self, host: str) -> Name | None:
        labels = host.split(".")
        best: tuple[int, Name] | None = None
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            name = self._suffix.get(suffix)
            if name is None and i > 0:
                name = self._subdomains.get(suffix)
            if name is not None:
                best = (len(labels) - i, name)
                break  # walking from the longest suffix: the first hit is the most specific
        for pattern, name in self._patterns:
            if _pattern_matches(pattern, labels) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), name)
        return best[1] if best else None


class IgnoredDestinations:
    """`[unknown] ignore`: destinations whose first sight is not worth an alert, hosts by the
    registry's domain rules and addresses by CIDR range (the loader gives ranges normalised)."""

    def __init__(self, rules: Iterable[str]):
        rules = list(rules)
        self._networks = [ipaddress.ip_network(r) for r in rules if is_address(r)]
        self._domains = DomainRules((r, "ignored") for r in rules if not is_address(r))

    def match(self, destination: str) -> bool:
        if self._networks:
            try:
                address = ipaddress.ip_address(destination.strip("[]"))
            except ValueError:
                address = None
            if address is not None:
                return any(address in network for network in self._networks)
        return self._domains.match(destination) is not None


def ignored_destinations(registry: Registry) -> IgnoredDestinations:
    return IgnoredDestinations(registry.unknown.ignore)


class SubprocessorRegistry:
    def __init__(self, registry: Registry):
        self.config = registry
        self.by_name: dict[str, Subprocessor] = {s.name: s for s in registry.subprocessor}
        self._domains = DomainRules((rule, sub.name) for sub in registry.subprocessor for rule in sub.domains)
        networks = [(ipaddress.ip_network(cidr, strict=False), sub.name)
                    for sub in registry.subprocessor for cidr in sub.cidrs]
        # Longest prefix first, so the first containing network is the most specific.
        self._networks = sorted(networks, key=lambda item: item[0].prefixlen, reverse=True)
        self._ignore = ignored_destinations(registry)
        self._host_cache: dict[str, str | None] = {}
        self._ip_cache: dict[str, str | None] = {}
        self._domain_cache: dict[str, str] = {}

    # -- lookups -----------------------------------------------------------------------
    def match_host(self, host: str) -> str | None:
        cached = self._host_cache.get(host)
        if cached is not None or host in self._host_cache:
            return cached
        found = self._domains.match(host)
        if len(self._host_cache) < _CACHE_LIMIT:
            self._host_cache[host] = found
        return found

    def match_ip(self, address: str) -> str | None:
        if not self._networks or not address:
            return None
        cached = self._ip_cache.get(address)
        if cached is not None or address in self._ip_cache:
            return cached
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            found = None
        else:
            if ip.version == 6 and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            found = next((name for net, name in self._networks if ip.version == net.version and ip in net), None)
        if len(self._ip_cache) < _CACHE_LIMIT:
            self._ip_cache[address] = found
        return found

    def registrable_domain(self, host: str) -> str:
        cached = self._domain_cache.get(host)
        if cached is not None:
            return cached
        if not host or _looks_like_ip(host):
            domain = ""
        else:
            domain = _psl()(host).top_domain_under_public_suffix or host
        if len(self._domain_cache) < _CACHE_LIMIT:
            self._domain_cache[host] = domain
        return domain

    def classify(self, sni: str = "", host: str = "", ip: str = "") -> Match:
        """Names win over addresses: SNI, then Host/authority/URL host, then the IP. An unknown
        destination keeps its registrable domain, else the address it was reached at."""
        literal = ""  # a Host or URL that is an address ("https://203.0.113.10/v1/x")
        for name in (sni, host):
            if name:
                name = normalise_host(name)
                if _looks_like_ip(name):
                    found = self.match_ip(name)
                    if found:
                        return Match(found, "", name)
                    literal = literal or name
                    continue
                found = self.match_host(name)
                if found:
                    return Match(found, self.registrable_domain(name), name)
                return Match(UNKNOWN, self.registrable_domain(name), name)
        found = self.match_ip(ip)
        return Match(found, "", ip) if found else Match(UNKNOWN, "", literal or ip)

    def is_ignored(self, host: str) -> bool:
        return bool(host) and self._ignore.match(normalise_host(host))

    def __len__(self) -> int:
        return len(self.by_name)


def normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # [v6]:port
        return host[1:host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host


def _looks_like_ip(host: str) -> bool:
    if ":" in host:
        return True
    last = host.rpartition(".")[2]
    return last.isdigit()


def _pattern_matches(pattern: tuple[str, ...], labels: list[str]) -> bool:
    # A pattern covers the host and its subdomains, like plain rules: compare the tail.
    if len(labels) < len(pattern):
        return False
    tail = labels[len(labels) - len(pattern):]
    return all(p == "*" or p == label for p, label in zip(pattern, tail))


# -- rules of several sub-processors over the same hosts ----------------------------------
# A parent domain under one sub-processor and a host under another is how a vendor's shared
# domain is modelled: the most specific rule wins, nothing to report. Two cases are reported:
# a tie only the order of the file breaks (refused on load), and a rule that can never win.

Position = tuple[int, int]  # (sub-processor, rule): indexes in the registry


def ambiguous_rules(registry: Registry) -> list[tuple[str, str]]:
    """(key path, message) of each rule whose traffic would go to one sub-processor or another
    by their order in the file alone: the same domain rule or CIDR range under two of them, or
    two wildcard patterns, as specific, both matching a host no more specific rule takes."""
    subs = registry.subprocessor
    problems = (_same_rule(subs, "domains", "domain rule", lambda rule: rule)
                + _pattern_ties(subs, _rules_by_position(subs))
                + _same_rule(subs, "cidrs", "CIDR range", lambda cidr: ipaddress.ip_network(cidr, strict=False)))
    return [problem for _, problem in sorted(problems)]  # in the order of the file


def unreachable_rules(registry: Registry) -> list[tuple[str, str]]:
    """(key path, message) of each rule that never matches because other sub-processors' rules
    win every host (or address) it covers: its sub-processor gets no traffic by it."""
    subs = registry.subprocessor
    rules = _rules_by_position(subs)
    warnings = []
    for i, sub in enumerate(subs):
        for j, rule in enumerate(sub.domains):
            # The rule read as a host ('*' a label no rule names) is the host it covers that the
            # fewest other rules match, each of them matching every other host it covers: lost
            # there, it is lost everywhere.
            winner = rules.match(rule)
            if winner is not None and winner[0] != i:
                k, l = winner
                warnings.append((_key(i, "domains", j),
                                 f"{rule!r} of {sub.name!r} never matches: {subs[k].domains[l]!r} of "
                                 f"{subs[k].name!r} ({_key(k, 'domains', l)}) wins over it at every host it covers; "
                                 f"drop it, or list the hosts meant for {sub.name!r} without '*' (the most specific "
                                 "rule wins)"))
    return warnings + _covered_ranges(subs)


def _key(i: int, field: str, j: int) -> str:
    return f"subprocessor[{i}].{field}[{j}]"


def _rules_by_position(subs: list[Subprocessor]) -> DomainRules[Position]:
    # In file order, as SubprocessorRegistry builds them: ties between patterns go the same way.
    return DomainRules((rule, (i, j)) for i, sub in enumerate(subs) for j, rule in enumerate(sub.domains))


# (where in the file, for the order of the report; (key path, message))
Problems = list[tuple[tuple[int, bool, int], tuple[str, str]]]


def _same_rule(subs: list[Subprocessor], field: str, what: str, key: Callable[[str], object]) -> Problems:
    first: dict[object, Position] = {}
    problems = []
    for i, sub in enumerate(subs):
        for j, rule in enumerate(getattr(sub, field)):
            k, l = first.setdefault(key(rule), (i, j))
            if k != i:
                other = getattr(subs[k], field)[l]
                problems.append(((i, field == "cidrs", j), (_key(i, field, j), (
                    f"{rule!r} of {sub.name!r} is also a {what} of {subs[k].name!r} ({_key(k, field, l)}"
                    + (f", as {other!r}" if other != rule else "")
                    + "): only their order in the file would decide which of the two gets its traffic; "
                    "keep it under one"))))
    return problems


def _pattern_ties(subs: list[Subprocessor], rules: DomainRules[Position]) -> Problems:
    patterns = [(i, j, rule) for i, sub in enumerate(subs) for j, rule in enumerate(sub.domains) if is_pattern(rule)]
    problems = []
    for n, (i, j, rule) in enumerate(patterns):
        for k, l, other in patterns[:n]:
            both = _both_match(rule, other)
            if k == i or other == rule or both is None:
                continue  # one sub-processor's own, or the same rule (reported as such)
            # Read as a host, '*' a label no rule names: a rule that matches it matches every host
            # both cover, so if neither of the two wins there, a more specific rule takes them all.
            if rules.match(both) in ((i, j), (k, l)):
                problems.append(((i, False, j), (_key(i, "domains", j), (
                    f"{rule!r} of {subs[i].name!r} and {other!r} of {subs[k].name!r} ({_key(k, 'domains', l)}) "
                    f"both cover {both!r}, as specific: only their order in the file would decide which of the two "
                    "gets that traffic; list those hosts without '*' under the one meant, or drop one of the two"))))
    return problems


def _both_match(pattern: str, other: str) -> str | None:
    """The pattern of the hosts two patterns of as many labels both match, or None."""
    a, b = pattern.split("."), other.split(".")
    if len(a) != len(b) or any(x != y and "*" not in (x, y) for x, y in zip(a, b)):
        return None
    return ".".join(y if x == "*" else x for x, y in zip(a, b))


def _covered_ranges(subs: list[Subprocessor]) -> list[tuple[str, str]]:
    """CIDR ranges whose every address has a longer prefix under other sub-processors."""
    networks = sorted(((ipaddress.ip_network(cidr, strict=False), i, j)
                       for i, sub in enumerate(subs) for j, cidr in enumerate(sub.cidrs)),
                      key=lambda item: (item[0].version, item[0].network_address, item[0].prefixlen))
    warnings = []
    for n, (network, i, j) in enumerate(networks):
        inside = []
        # Sorted by address: the ranges inside this one follow it, up to its last address.
        for other, k, l in networks[n + 1:]:
            if other.version != network.version or other.network_address > network.broadcast_address:
                break
            if k != i and other.prefixlen > network.prefixlen:
                inside.append((other, k, l))
        if inside and list(ipaddress.collapse_addresses(other for other, _, _ in inside)) == [network]:
            named = [f"{subs[k].cidrs[l]} of {subs[k].name}" for _, k, l in inside]
            shown = ", ".join(named[:3]) + (f", +{len(named) - 3} more" if len(named) > 3 else "")
            warnings.append(((i, j), (_key(i, "cidrs", j),
                             f"{subs[i].cidrs[j]!r} of {subs[i].name!r} never matches: longer prefixes of other "
                             f"sub-processors cover every address in it ({shown})")))
    return [warning for _, warning in sorted(warnings)]
