"""Built-in recognisers, one module per category."""

from __future__ import annotations

from ..phones import PhoneValidator
from .base import Ctx, Hit, Recognizer
from .credit_card import CardSecurityCodeRecognizer, CreditCardRecognizer
from .crypto_wallet import CryptoWalletRecognizer
from .date_of_birth import DateOfBirthRecognizer
from .device_id import DeviceIdRecognizer, MacAddressRecognizer, PushTokenRecognizer, VinRecognizer
from .driver_license import DriverLicenseRecognizer
from .email import EmailRecognizer
from .geo import GeoRecognizer
from .hashed import HashedIdentifierRecognizer
from .health_id import HealthIdRecognizer
from .iban import BankAccountRecognizer, IbanRecognizer, LowerCaseIbanRecognizer
from .ip_address import IpAddressRecognizer
from .national_id import NATIONAL_ID_RECOGNIZERS
from .passport import PassportRecognizer
from .person import PersonRecognizer
from .phone import PhoneRecognizer
from .script_names import ScriptNameRecognizer
from .secret import AuthorizationRecognizer, GenericSecretRecognizer, SecretAssignmentRecognizer, build_rule_recognizers
from .special_category import HealthConditionTextRecognizer, HealthEventRecognizer, SpecialCategoryRecognizer
from .stdnum_ids import StdnumIdRecognizer
from .street_address import StreetAddressRecognizer
from .us_ssn import UsSsnLastFourRecognizer, UsSsnRecognizer

__all__ = ["Ctx", "Hit", "Recognizer", "builtin_recognizers"]


def builtin_recognizers(phone: PhoneValidator, report_private_ips: bool = False) -> list[Recognizer]:
    recs: list[Recognizer] = [
        EmailRecognizer(),
        PhoneRecognizer(phone),
        CreditCardRecognizer(),
        UsSsnRecognizer(),
        UsSsnLastFourRecognizer(),
        IbanRecognizer(),
        LowerCaseIbanRecognizer(),
        IpAddressRecognizer(report_private_ips),
        PersonRecognizer(),
        ScriptNameRecognizer(),
        StreetAddressRecognizer(),
        DateOfBirthRecognizer(),
        PassportRecognizer(),
        DriverLicenseRecognizer(),
        HealthIdRecognizer(),
        SpecialCategoryRecognizer(),
        HealthConditionTextRecognizer(),
        HealthEventRecognizer(),
        CryptoWalletRecognizer(),
        GeoRecognizer(),
        HashedIdentifierRecognizer(),
        CardSecurityCodeRecognizer(),
        BankAccountRecognizer(),
        DeviceIdRecognizer(),
        PushTokenRecognizer(),
        MacAddressRecognizer(),
        VinRecognizer(),
        GenericSecretRecognizer(),
        AuthorizationRecognizer(),
        SecretAssignmentRecognizer(),
    ]
    recs.extend(cls() for cls in NATIONAL_ID_RECOGNIZERS)
    recs.append(StdnumIdRecognizer())
    recs.extend(build_rule_recognizers())
    return recs
