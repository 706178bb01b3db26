"""More national identifiers, checked by python-stdnum: in Europe the Dutch BSN, Swedish
personnummer, Polish PESEL, UK NHS number, German Steuer-ID, Danish CPR, Finnish HETU,
Norwegian fødselsnummer, Belgian national number, Swiss AHV number, Romanian CNP, Czech
rodné číslo, Estonian isikukood, Greek AMKA and Turkish T.C. Kimlik No; in the Americas
the Canadian SIN, US ITIN, Mexican CURP and Chilean RUT; elsewhere the Australian TFN,
Chinese resident identity card, Korean resident registration number, Japanese My Number,
Indian PAN and voter ID (EPIC), Malaysian MyKad, Singapore NRIC and FIN, Thai ID, Israeli
Teudat Zehut, South African ID number and UAE Emirates ID. (Singapore's check letter, the
Emirates ID and the EPIC's layout are not in python-stdnum: validators.py has them; the
EPIC has no check digit, and its name is all the evidence.)

Most are bare runs of 9 to 13 digits with a one-in-ten or one-in-eleven check: alone
they cannot be told from order numbers, amounts or phone numbers. So they are reported
only where the scheme is named: by the field ("bsn": "111222333") or just before the
number in text ("my PESEL is 44051401359"). The text pattern starts with those names,
so the prefilter reports only where one occurs.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable, Final, Iterable

from ..finding import Category
from ..validators import ae_emirates_id, in_epic, sg_nric
from .base import Ctx, Hit, Recognizer, field_hit


@dataclass(frozen=True)
class Scheme:
    name: str  # the finding's subtype
    module: str  # python-stdnum module
    fields: frozenset[str]  # field-name tokens that name it
    cues: tuple[str, ...]  # words that name it in text (lower case; Chinese, Japanese, Korean as written)
    # The check where python-stdnum has none: the compact value if valid, else "".
    check: Callable[[str], str] | None = None


SCHEMES: Final = (
    Scheme("nl_bsn", "stdnum.nl.bsn", frozenset({"bsn", "burgerservicenummer", "sofinummer"}),
           ("bsn", "burgerservicenummer", "sofinummer")),
    Scheme("se_personnummer", "stdnum.se.personnummer", frozenset({"personnummer", "personnr"}),
           ("personnummer", "personnr")),
    Scheme("pl_pesel", "stdnum.pl.pesel", frozenset({"pesel"}), ("pesel",)),
    # "sin" alone is a Spanish word ("sin 2 cuotas"): in text only the full name counts.
    Scheme("ca_sin", "stdnum.ca.sin", frozenset({"sin", "socialinsurancenumber"}), ("social insurance number",)),
    Scheme("gb_nhs", "stdnum.gb.nhs", frozenset({"nhs", "nhsnumber", "nhsno"}), ("nhs", "nhs number", "nhs no")),
    Scheme("de_idnr", "stdnum.de.idnr", frozenset({"steuerid", "idnr", "steueridentifikationsnummer"}),
           ("steuer-id", "steuerid", "steueridentifikationsnummer", "idnr")),
    Scheme("dk_cpr", "stdnum.dk.cpr", frozenset({"cpr", "cprnr", "cprnummer"}), ("cpr", "cpr-nr", "cpr-nummer")),
    Scheme("fi_hetu", "stdnum.fi.hetu", frozenset({"hetu", "henkilotunnus"}), ("hetu", "henkilotunnus")),
    Scheme("no_fnr", "stdnum.no.fodselsnummer", frozenset({"fnr", "fodselsnummer"}), ("fnr", "fodselsnummer")),
    Scheme("be_nn", "stdnum.be.nn", frozenset({"rijksregisternummer", "insz", "niss", "rrn"}),
           ("rijksregisternummer", "insz", "niss", "rrn")),
    # US taxpayer number for people without an SSN: 9XX-7X-XXXX, which SSN rules reject.
    Scheme("us_itin", "stdnum.us.itin", frozenset({"itin", "taxid", "tin", "taxpayerid"}), ("itin",)),
    Scheme("ch_ahv", "stdnum.ch.ssn", frozenset({"ahv", "avs", "ahvnr", "avsnr", "ahvn13", "avsn13"}),
           ("ahv", "avs", "ahv-nr", "ahvn13")),
    Scheme("ro_cnp", "stdnum.ro.cnp", frozenset({"cnp"}), ("cnp",)),
    Scheme("cz_rc", "stdnum.cz.rc", frozenset({"rodnecislo"}), ("rodne cislo",)),
    Scheme("ee_ik", "stdnum.ee.ik", frozenset({"isikukood"}), ("isikukood",)),
    Scheme("gr_amka", "stdnum.gr.amka", frozenset({"amka"}), ("amka",)),
    Scheme("tr_tckimlik", "stdnum.tr.tckimlik", frozenset({"tckimlik", "tckimlikno", "tckn", "kimlikno"}),
           ("tc kimlik", "tckn", "kimlik no")),
    Scheme("mx_curp", "stdnum.mx.curp", frozenset({"curp"}), ("curp",)),
    Scheme("cl_rut", "stdnum.cl.rut", frozenset({"rut"}), ("rut",)),
    Scheme("au_tfn", "stdnum.au.tfn", frozenset({"tfn", "taxfilenumber"}), ("tfn", "tax file number")),
    # Resident identity card (身份证): 18 digits with the birth date and a check digit.
    Scheme("cn_ric", "stdnum.cn.ric", frozenset({"ric", "shenfenzheng", "residentidentitycard"}),
           ("resident identity card", "shenfenzheng", "身份证", "身份證", "公民身份号码")),
    Scheme("kr_rrn", "stdnum.kr.rrn", frozenset({"jumin", "juminbeonho", "residentregistrationnumber"}),
           ("resident registration number", "jumin", "주민등록번호", "주민번호")),
    # Not "my number" in text: in English that introduces a phone number.
    Scheme("jp_my_number", "stdnum.jp.in_", frozenset({"mynumber", "kojinbango", "individualnumber"}),
           ("mynumber", "individual number", "kojin bango", "マイナンバー", "個人番号")),
    # "pan" as a field also names a card number, which fails this check (letters and digits).
    Scheme("in_pan", "stdnum.in_.pan", frozenset({"pan", "pannumber", "pancard", "panno"}),
           ("pan card", "pan no", "pan number", "permanent account number")),
    Scheme("my_nric", "stdnum.my.nric", frozenset({"mykad", "nric"}), ("mykad", "nric")),
    # Singapore's NRIC shares the name with Malaysia's (12 digits there, a letter, 7 digits
    # and a letter here); "fin" alone is a word in English, Finnish and French.
    Scheme("sg_nric", "", frozenset({"nric", "nricfin", "nricno", "finno", "finnumber", "uin"}),
           ("nric", "nric/fin", "fin no", "fin number", "foreign identification number"), sg_nric),
    Scheme("th_pin", "stdnum.th.pin", frozenset({"thaiid", "thainationalid"}), ("thai id", "thai national id")),
    Scheme("il_idnr", "stdnum.il.idnr", frozenset({"teudatzehut"}), ("teudat zehut",)),
    Scheme("za_idnr", "stdnum.za.idnr", frozenset({"rsaid", "saidnumber", "southafricanid"}),
           ("rsa id", "south african id")),
    # Not in python-stdnum: validators.py checks its prefix, birth year and Luhn digit.
    Scheme("ae_emirates_id", "", frozenset({"emiratesid", "emiratesidnumber", "eidnumber", "eidno"}),
           ("emirates id", "emirates identity card", "eid number", "eid no"), ae_emirates_id),
    # Not "epic" alone: a word, and the name of a hospital software's patient ids.
    Scheme("in_epic", "", frozenset({"voterid", "voteridnumber", "voteridcard", "epicnumber", "epicno"}),
           ("voter id", "voter id card", "voter card", "epic no", "epic number", "epic card"), in_epic),
)
# Digits with separators ("880320-0016", "710319/2745"), letters then digits (the
# Mexican CURP "BOXW310820HNERXN09", the Indian PAN "ACUPA7085R", the voter ID
# "ABC1234567"), or a letter, seven digits and a letter (Singapore's "S1234567D", in
# either case as people type it).
_NUMBER: Final = r"\d[\d .\-+/]{7,16}[\dA-Y]|[A-Z]{3,5}\d[\dA-Z]{4,13}|[STFGMstfgm]\d{7}[A-Za-z]"


def _cue_rx(cue: str) -> str:
    return re.escape(cue).replace(r"\ ", r"[ \t]+").replace(r"\-", r"[\- ]?")


# The scheme's name, then up to 24 characters that are not digits ("PESEL:", "NHS number is").
# Words need their edges; names in scripts without spaces ("身份证号码") have none to find,
# nor case: apart, each is a prefilter Hyperscan reads as RE2 does (see prefilter._trusted).
_WORD_CUES: Final = r"(?i:\b(?:" + "|".join(_cue_rx(c) for s in SCHEMES for c in s.cues if c.isascii()) + r")\b)"
_UNSPACED_CUES: Final = "(?:" + "|".join(c for s in SCHEMES for c in s.cues if not c.isascii()) + ")"
_CUES: Final = "(?:" + _WORD_CUES + "|" + _UNSPACED_CUES + ")"
_NAMED: Final = _CUES + r"[^\d\n]{0,24}"


class StdnumIdRecognizer(Recognizer):
    name: str = "national_id.named"
    category: str = Category.NATIONAL_ID
    score: float = 0.9
    field_hints: frozenset[str] = frozenset().union(*(s.fields for s in SCHEMES))
    # The number is group 1, a whole word: "PAN card: ACUPA7085R" is not "CUPA7085R".
    patterns: tuple[str, ...] = (_NAMED + r"\b(" + _NUMBER + ")",)
    # The names alone: an alternation of words costs Hyperscan little, where the names
    # followed by up to 24 characters of anything made its whole scan slower.
    prefilter: tuple[str, ...] = (_WORD_CUES, _UNSPACED_CUES)
    keywords: tuple[str, ...] = tuple(sorted({c.split()[0].split("-")[0] for s in SCHEMES for c in s.cues}))
    group: int = 1

    def __init__(self):
        self._valid = {s.name: importlib.import_module(s.module) for s in SCHEMES if s.check is None}

    def _schemes_for(self, tokens: frozenset[str]) -> list[Scheme]:
        return [s for s in SCHEMES if not s.fields.isdisjoint(tokens)]

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return bool(self._schemes_for(tokens))

    def _check(self, scheme: Scheme, value: str) -> str | None:
        if scheme.check is not None:
            return scheme.check(value) or None
        module = self._valid[scheme.name]
        return module.compact(value) if module.is_valid(value) else None

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not 8 <= len(v) <= 20:
            return ()
        for scheme in self._schemes_for(ctx.tokens):
            compact = self._check(scheme, v)
            if compact is not None:
                return field_hit(Hit(self.score, compact, subtype=scheme.name), value, v)
        return ()

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        before = ctx.text[max(0, ctx.start - 48):ctx.start].lower()
        # The number may run into what follows ("44051401359 - 12"): try it whole, then
        # cut at each blank from the right.
        cuts = [len(value)] + [i for i in range(len(value) - 1, 7, -1) if value[i] == " "]
        for scheme in SCHEMES:
            if not any(c in before for c in scheme.cues):
                continue
            for cut in cuts:
                number = value[:cut].rstrip(" .-+")
                compact = self._check(scheme, number)
                if compact is not None:
                    end = ctx.start + len(number)
                    # Named just before and passing its check: stronger than the generic
                    # "number" cue that makes "943 476 5919" a phone as well.
                    return Hit(0.97, compact, subtype=scheme.name, end=end)
        return None
