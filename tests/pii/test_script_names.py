"""Names in Chinese, Japanese, Korean and Arabic script: read after a cue, before an
honorific, or as a name field's value; words that look like them are not names."""

from __future__ import annotations

import json

import pytest

from tests.pii.conftest import spans, text_hashes

# (text, the name it holds or None)
PROSE = [
    ("我叫王伟，电话是多少？", "王伟"),
    ("我叫王伟今天来取货", "王伟"),  # no punctuation: the name stops at a word's character
    ("你好，我的名字是张晓明。", "张晓明"),
    ("姓名：欧阳娜娜", "欧阳娜娜"),  # a compound family name
    ("收件人：陳大文", "陳大文"),  # traditional characters
    ("王伟先生您好", "王伟"),
    ("感谢王伟先生的耐心", "王伟"),  # the verb before is not part of the name
    ("李女士，您的订单已发货", "李"),  # a family name and an honorific: Ms Li
    ("私の名前は佐藤健です。", "佐藤健"),
    ("氏名：佐藤 健", "佐藤 健"),
    ("山田太郎様、ご注文ありがとうございます", "山田太郎"),
    ("田中さんから電話がありました", "田中"),
    ("金桂花先生您好", "金桂花"),  # 桂 is a family name too: the longer name wins
    ("鈴木 修平様、ご注文ありがとうございます", "鈴木 修平"),
    ("私の名前は太田 真綾です。", "太田 真綾"),  # the particle after the given name is not part of it
    ("私の名前は三浦 くみ子です。", "三浦 くみ子"),  # a given name in kana
    ("私の名前は清水 さゆりです。", "清水 さゆり"),  # all kana: "です" is not part of it
    ("私の名前は佐々木 あすかと申します。", "佐々木 あすか"),
    ("제 이름은 김민준입니다", "김민준"),
    ("안녕하세요 김민준님, 주문이 접수되었습니다", "김민준"),
    ("이름: 박지성", "박지성"),
    ("اسمي محمد أحمد ورقمي ٠٥٠١٢٣٤٥٦٧", "محمد أحمد"),  # "and my number" ends the name
    ("السيدة فاطمة الزهراء", "فاطمة الزهراء"),
    ("السيد مهيب كانو طلب استرداد المبلغ", "مهيب كانو"),  # "requested a refund" follows the name
    ("مرحبا، اسمي ضحّاك آل بن ظافر وأحتاج مساعدة", "ضحّاك آل بن ظافر"),  # a shadda, and "Al", "bin"
    ("مرحبا، اسمي عبد الملك الدباغ وأحتاج مساعدة", "عبد الملك الدباغ"),  # "Abd al-Malik" is one given name
    ("السيد عبد المجيد آل سعود طلب استرداد المبلغ", "عبد المجيد آل سعود"),
    ("مرحبا، اسمي فكري أبا الخيل وأحتاج مساعدة", "فكري أبا الخيل"),  # "Aba al-Khail" is one family name
    ("السيد شريف آل محمد بن علي بن جماز طلب استرداد المبلغ", "شريف آل محمد بن علي بن جماز"),  # a lineage
    ("اسمي محمد بن علي بن محمد", "محمد بن علي بن محمد"),  # a lineage repeats its words
    ("السيد عبد الله طلب استرداد المبلغ", "عبد الله"),
    ("مرحبا، اسمي نور الدّين شربتلي وأحتاج مساعدة", "نور الدّين شربتلي"),  # "Nur ad-Din" is one given name
    ("姓名：賴淑芬", "賴淑芬"),  # Lai and Hong, among Taiwan's twenty commonest family names
    ("洪玉梅小姐您好", "洪玉梅"),  # the verb after a one-part name is not its family name
    ("姓名：簡麗華", "簡麗華"),  # traditional forms of the list's family names
    ("連美玉小姐您好", "連美玉"),
    ("我的名字是歐秀珠。", "歐秀珠"),
    # Words, not names.
    ("顧客様各位", None),  # "dear customers": 顧 is a family name too
    ("お客様へのお知らせ", None),
    ("王様のレストラン", None),  # "the king's restaurant"
    ("管理者様", None),
    ("看護師さん、ありがとうございました", None),  # "the nurse": 師 is a family name in simplified form only
    ("고객님 안녕하세요", None),  # "dear customer"
    ("이용자님께 알려드립니다", None),  # "to the user": a role
    ("저는 정말 좋아요", None),
    ("السيد هو المسؤول", None),  # "the gentleman is the one responsible": no given name
    ("高级套餐已开通", None),
]


@pytest.mark.parametrize("text, name", PROSE, ids=[p[0] for p in PROSE])
def test_names_in_scripts_without_capitals(scanner, text, name):
    assert spans(scanner, text, "PERSON") == ([name] if name else [])


FIELDS = [
    ({"name": "张晓明"}, True),
    ({"name": "佐藤 健"}, True),
    ({"name": "田中太郎"}, True),
    ({"name": "محمد أحمد"}, True),
    ({"customer": {"full_name": "王伟"}}, True),  # a person's field: two characters are enough
    ({"name": "白色"}, False),  # "white": two characters under a plain name field
    ({"name": "高级套餐"}, False),  # "premium plan"
    ({"name": "王者荣耀"}, False),  # a game
    ({"product": {"name": "马拉松"}}, False),  # "marathon", under a product
    ({"name": "منتج جديد"}, False),  # "new product": no given name
]


@pytest.mark.parametrize("doc, is_name", FIELDS, ids=[json.dumps(f[0], ensure_ascii=False) for f in FIELDS])
def test_name_fields_in_scripts_without_capitals(scanner, doc, is_name):
    findings = scanner.scan_request("POST", "https://api.example-crm.com/contacts", [],
                                    json.dumps(doc, ensure_ascii=False).encode(), "application/json")
    assert any(f.category == "PERSON" for f in findings) is is_name


def test_a_name_s_hash_is_the_same_wherever_it_is_found(scanner):
    hashes = text_hashes(scanner, ("我叫张晓明。", "张晓明先生您好", "姓名：张晓明"), "PERSON")
    by_field = {f.value_hash for f in scanner.scan_request("POST", "https://x.example/", [],
                                                           json.dumps({"name": "张晓明"}).encode(),
                                                           "application/json")}
    assert len(hashes) == 1 and hashes == by_field
