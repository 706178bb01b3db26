"""Names in scripts without capital letters: Chinese and Japanese (Han), Korean (Hangul)
and Arabic.

In Latin text capitals mark a name; these scripts have none, and Chinese and Japanese
put no space between words. A name is read where the text says one is there: a cue
before it ("我叫", "私の名前は", "제 이름은", "اسمي"), an honorific after it ("先生", "様",
"님"), or a name field. It must also start with a family name of the script's list (the
hundred most common Chinese surnames cover about 85% of China's people, the ten most
common Korean ones over 60% of Korea's); an Arabic name, which has no family-name list to
check, is read after "my name is" whatever it is, and after a title when it does not
start with the article (a given name does not).
"""

from __future__ import annotations

import re
from typing import Final

from ..finding import Category
from .base import Ctx, Hit, Recognizer

_CHINESE_SURNAMES: Final = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛"
    "靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵"
    "苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝傅云强芮禹钮阎蔺邰权洪赖萧"
    # The same names in traditional characters (Taiwan, Hong Kong, the diaspora).
    "陳楊黃趙吳劉張鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸範賈韋鄒龍顧龔錢嚴湯羅馬孫郭葉蔣餘魏"
    "莊簡顏溫藍紀連歐駱饒關麥鄺喬龐畢聶榮賀遲鄔鈕閻閔魯鮑齊婁竇繆藺叢鞏蘭欒閆蘆賴");
# Left out in traditional form: characters that are common words too, and would read a
# word before an honorific as a family name ("看護師さん", the nurse; "時", "車", "費").
_COMPOUND_SURNAMES: Final = frozenset({"欧阳", "歐陽", "司马", "司馬", "诸葛", "諸葛", "上官", "东方", "東方", "皇甫",
                                       "尉迟", "尉遲", "公孙", "公孫", "慕容", "令狐", "长孙", "長孫", "夏侯", "司徒"})
_JAPANESE_SURNAMES: Final = frozenset({
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "渡邊", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
    "山口", "松本", "井上", "木村", "斎藤", "斉藤", "清水", "山崎", "池田", "橋本", "阿部", "石川", "山下", "中島",
    "石井", "小川", "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本", "福田", "太田",
    "西村", "藤井", "金子", "岡本", "藤原", "中野", "三浦", "原田", "松田", "竹内", "中川", "小野", "田村", "中山",
    "和田", "石田", "森田", "上田", "原", "柴田", "酒井", "工藤", "横山", "宮崎", "宮本", "内田", "高木", "安藤",
    "島田", "谷口", "大野", "高田", "丸山", "今井", "河野", "藤本", "村田", "武田", "上野", "杉山", "増田", "小島",
    "小山", "千葉", "久保", "松井", "岩崎", "野口", "菊地", "木下", "野村", "新井", "渡部", "佐野", "大塚", "森",
    "林", "菅原", "市川", "平野", "桜井", "大西", "松尾", "菅野", "熊谷", "松下", "服部", "川口", "北村", "吉川"})
_KOREAN_SURNAMES: Final = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석"
    "선설마길연위표명기반라왕금옥육인맹제모탁국어은편용")
_KOREAN_COMPOUND: Final = frozenset({"남궁", "황보", "제갈", "선우", "독고", "사공", "서문"})
# Three-syllable words that take 님 or 씨 and start with a surname's syllable: roles, not people.
_KOREAN_ROLES: Final = frozenset({"이용자", "사용자", "관리자", "담당자", "운영자", "판매자", "구매자", "주문자", "신청자",
                                  "보호자", "작성자", "수신자", "발신자", "고객분", "회원분", "선생님", "기사분", "대표자"})
# Endings a Korean name takes in a sentence: "김민준입니다", "김민준이고", "김민준은".
_KOREAN_PARTICLES: Final = ("입니다", "이에요", "이예요", "예요", "이라고", "라고", "이고", "이며", "님", "씨", "은", "는",
                            "이", "가", "을", "를", "의", "에게", "께서", "도")
_ARABIC_GIVEN: Final = frozenset({
    "محمد", "أحمد", "احمد", "علي", "حسن", "حسين", "محمود", "مصطفى", "عبدالله", "عبد", "يوسف", "إبراهيم", "ابراهيم",
    "خالد", "عمر", "سعيد", "سعد", "فهد", "سلطان", "ناصر", "طارق", "كريم", "ياسر", "وليد", "هشام", "سامي", "عادل",
    "ماجد", "فيصل", "بندر", "زياد", "رامي", "عمرو", "أسامة", "اسامة", "إسماعيل", "مراد", "جمال", "نبيل", "منصور",
    "فاطمة", "عائشة", "مريم", "خديجة", "زينب", "نور", "سارة", "ساره", "ليلى", "هدى", "أمل", "امل", "سلمى", "رنا",
    "ريم", "دينا", "هند", "منى", "نادية", "ياسمين", "لينا", "رغد", "شيماء", "آمنة", "حنان", "سميرة", "لطيفة",
    "وليد", "وائل", "وفاء", "وسام", "وداد", "وعد"})
# Words inside an Arabic name that join it to the next: "آل سعود", "بن زايد", "أبو بكر",
# "عبد الملك" (one given name), "أبا الخيل" (one family name).
_ARABIC_LINKS: Final = frozenset({"آل", "بن", "بنت", "ابن", "أبو", "ابو", "أبا", "ابا", "عبد"})
# Second words of a given name: "نور الدين" (Nur ad-Din), "نصر الله" (Nasrallah).
_ARABIC_SECOND: Final = frozenset({"الدين", "الله"})
_ARABIC_MARKS: Final = {c: None for c in range(0x064B, 0x0653)}  # short vowels and the shadda, often left out
# Links that carry a name on past its given and family name: a lineage ("شريف آل محمد بن
# علي بن جماز", Sharif of the Al Muhammad, son of Ali, son of Jammaz).
_ARABIC_LINEAGE: Final = frozenset({"آل", "بن", "بنت", "ابن"})
# Words that end an Arabic name after a cue ("اسمي محمد ورقمي ..."): pronouns, prepositions.
_ARABIC_STOP: Final = frozenset({"و", "هو", "هي", "أنا", "انا", "من", "في", "على", "عن", "إلى", "الى", "مع", "رقم",
                                 "رقمي", "هاتفي", "بريدي", "عنواني", "وعمري", "عمري", "وأنا", "وانا", "أسكن", "اسكن",
                                 # verbs a ticket puts after the name: requested, wants, said, called, wrote, sent, asked, paid
                                 "طلب", "طلبت", "يطلب", "تطلب", "يريد", "تريد", "قال", "قالت", "اتصل", "اتصلت", "كتب",
                                 "كتبت", "أرسل", "أرسلت", "ارسل", "ارسلت", "سأل", "سألت", "دفع", "دفعت", "لديه", "لديها"})
# Han characters that end a Chinese name read after a cue ("我叫王伟今天..."): common words'
# characters that are rare in given names (明, 小, 月 and 可 are common in them: not here).
_HAN_STOP: Final = frozenset("今昨是的了在和与我你他她们电手邮地住来去说要想有也就都很不请谢好吗呢吧啊从到给把被让叫姓名号日年先女"
                             "您对现已会能这那里个电話電号碼码客者员户")
_HAN_CUES: Final = ("我叫", "我的名字是", "我的名字叫", "我姓", "姓名", "联系人", "聯絡人", "收件人", "收货人", "收貨人",
                    "私の名前は", "名前", "氏名", "お名前", "担当者")
# How "my name is" ends in Japanese, as far as a given name in kana can run on into it:
# です, でした, でございます, と申します, といいます, と言います.
_COPULAS: Final = ("です", "でし", "でご", "と申", "とい", "と言")
_HAN_HONORIFICS: Final = ("先生", "女士", "小姐", "さん", "様", "さま", "老师", "老師")
_NOT_WITH_HONORIFIC: Final = frozenset({"王"})  # 王様: "the king"
# "感谢王伟先生": 谢 here is "thank", not the family name Xie.
_THANKS: Final = frozenset({"感谢", "谢谢", "多谢", "致谢", "答谢", "道谢", "感謝", "謝謝", "多謝"})
# "제 이름은" ("my name is"), or a label with a colon ("이름:", "성함:"); RE2 and re read it alike.
_KOREAN_LABELS: Final = ("이름", "성함", "성명")
_KOREAN_CUE: Final = r"(?:제[ \t]*이름은|(?:" + "|".join(_KOREAN_LABELS) + r")[ \t]*[:：])[ \t]*"
_KOREAN_CUE_AT: Final = re.compile(_KOREAN_CUE)
_ARABIC_CUES: Final = ("اسمي", "إسمي", "الاسم", "السيد", "السيدة", "الأستاذ", "الأستاذة")
_ARABIC_NAME_CUES: Final = frozenset(_ARABIC_CUES[:3])  # "my name", "the name": a name follows, whatever it is


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(w.replace(" ", "[ \\t]*") for w in words)


def _bytes(words: tuple[str, ...]) -> str:
    """The words as a byte-mode alternation for the prefilter."""
    return "|".join("".join(f"\\x{b:02x}" for b in w.encode()) for w in words)


_SEP: Final = r"[ \t　]*[:：]?[ \t　]*"


class ScriptNameRecognizer(Recognizer):
    name: str = "person_script"
    category: str = Category.PERSON
    patterns: tuple[str, ...] = (
        r"(?:" + _alternation(_HAN_CUES) + ")" + _SEP + r"\p{Han}{1,4}(?:[ 　][\p{Han}\p{Hiragana}\p{Katakana}]{1,6})?",
        r"\p{Han}{1,6}(?:[ 　][\p{Han}\p{Hiragana}\p{Katakana}]{1,4})?[ 　]?(?:" + _alternation(_HAN_HONORIFICS) + ")",
        _KOREAN_CUE + r"\p{Hangul}{2,8}",
        r"\p{Hangul}{3,4}[ \t]?(?:님|씨)",
        r"(?:" + _alternation(_ARABIC_CUES) + r")" + _SEP + r"[\x{0600}-\x{06FF}]+(?:[ \t]+[\x{0600}-\x{06FF}]+){0,7}",
    )
    # The cues and honorifics themselves, in the prefilter's byte mode.
    prefilter: tuple[str, ...] = (_bytes(_HAN_CUES), _bytes(_HAN_HONORIFICS),
                                  _bytes(_KOREAN_LABELS), _bytes(("님", "씨")), _bytes(_ARABIC_CUES))
    score: float = 0.85

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        c0 = value[0]
        if _hangul(c0):
            return self._korean(value, ctx)
        if _arabic(c0):
            return self._arabic_name(value, ctx)
        return self._han(value, ctx)

    def _hit(self, ctx: Ctx, offset: int, name: str) -> Hit:
        start = ctx.start + offset
        return Hit(self.score, " ".join(name.split()), start=start, end=start + len(name))

    def _han(self, value: str, ctx: Ctx) -> Hit | None:
        for cue in _HAN_CUES:
            if value.startswith(cue):
                rest = value[len(cue):]
                off = len(value) - len(rest.lstrip(" \t　:："))
                name = _han_after_cue(value[off:])
                return self._hit(ctx, off, name) if name else None
        for h in _HAN_HONORIFICS:
            if value.endswith(h):
                body = value[: len(value) - len(h)].rstrip(" 　")
                at = _han_before_honorific(body)
                if at < 0 or body[at:] in _NOT_WITH_HONORIFIC:
                    return None
                return self._hit(ctx, at, body[at:])
        return None

    def _korean(self, value: str, ctx: Ctx) -> Hit | None:
        cue = _KOREAN_CUE_AT.match(value)
        if cue is None:  # a name before 님 or 씨
            if _hangul(ctx.char_before()):
                return None  # inside a longer word
            name = value[:-1].rstrip()
            ok = (len(name) == 3 or (len(name) == 4 and name[:2] in _KOREAN_COMPOUND)) and \
                name not in _KOREAN_ROLES and _korean_surname(name)
            return self._hit(ctx, 0, name) if ok else None
        off = cue.end()
        name = value[off:]
        for p in _KOREAN_PARTICLES:
            if name.endswith(p) and len(name) - len(p) >= 2:
                name = name[: -len(p)]
                break
        ok = 2 <= len(name) <= 4 and name not in _KOREAN_ROLES and _korean_surname(name)
        return self._hit(ctx, off, name) if ok else None

    def _arabic_name(self, value: str, ctx: Ctx) -> Hit | None:
        words = value.split()
        cue = words[0].rstrip(":：")
        if cue not in _ARABIC_CUES:
            return None
        kept: list[str] = []
        parts = 0  # a given name, a family name, a lineage's links; a link and its word are one
        for w in words[1:]:
            w = w.strip(":：")
            if not w or w in _ARABIC_STOP or (kept and w[0] == "و" and w not in _ARABIC_GIVEN):
                break  # "وأحتاج", "ورقمي": "and I need", "and my number"
            if not kept or (kept[-1] not in _ARABIC_LINKS and w.translate(_ARABIC_MARKS) not in _ARABIC_SECOND):
                if parts >= 2 and w not in _ARABIC_LINEAGE:
                    break  # a given and a family name; a third word is as often the verb ("طلب")
                parts += 1
            kept.append(w)
        while kept and kept[-1] in _ARABIC_LINKS:
            kept.pop()  # a link the match cut off from its word
        if not kept:
            return None
        # After a title ("السيد", also "the master") a given name follows, not a word with
        # the article ("السيد الرئيس", "Mr President"), unless it is a common given name.
        if cue not in _ARABIC_NAME_CUES and kept[0].startswith("ال") and \
                not any(w in _ARABIC_GIVEN for w in kept):
            return None
        first = end = value.index(kept[0], len(words[0]))
        for w in kept:  # word by word: a lineage repeats its words ("محمد بن علي بن محمد")
            end = value.index(w, end) + len(w)
        return self._hit(ctx, first, value[first:end])


def name_in_script(value: str) -> bool:
    """Whether a field's whole value reads as a Chinese, Japanese or Arabic name: a family
    name of the lists and a given name of one to three characters (three characters in
    all, or a two-character family name), or Arabic words one of which is a common given
    name. (Korean words that start with a family name's syllable
    are too many to tell a name from a word without context.)"""
    c0 = value[:1]
    if _arabic(c0):
        words = value.split()
        return 2 <= len(words) <= 4 and any(w in _ARABIC_GIVEN for w in words) and \
            all(_arabic(c) for w in words for c in w)
    if not _han(c0):
        return False
    name = _han_after_cue(value)
    if len(name) != len(value):
        return False
    # Two characters under a plain "name" are as often a word ("白色", "黄金") as a name.
    return len(name.replace(" ", "").replace("　", "")) >= 3 or _han_family(name) >= 2


def _hangul(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3"  # the syllables block


def _arabic(c: str) -> bool:
    return "\u0600" <= c <= "\u06ff"


def _han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"  # the unified ideographs


def _korean_surname(name: str) -> bool:
    return name[:2] in _KOREAN_COMPOUND or name[0] in _KOREAN_SURNAMES


def _han_after_cue(text: str) -> str:
    """The name that starts ``text`` (what followed a cue): a family name of the lists,
    then up to two given characters (three after a Japanese family name), up to the
    first character that does not belong in a name."""
    head, apart, given = text.replace("　", " ").partition(" ")
    if apart and _han_family(head) == len(head):
        # "佐藤 健", "三浦 くみ子": family and given name apart, as Japanese writes them; a
        # particle after a kanji ends the name ("佐藤 健です").
        for j in range(1, len(given)):
            # Hiragana after a kanji, or a given name in kana then "です" ("三浦 さゆりです").
            if ("\u3040" <= given[j] <= "\u309f" and _han(given[j - 1])) or given.startswith(_COPULAS, j):
                return text[: len(head) + 1 + j]
        return text
    text = head
    n = _han_family(text)
    if not n:
        return ""
    most = 3 if text[:n] in _JAPANESE_SURNAMES else 2
    end = n
    while end < len(text) and end - n < most and text[end] not in _HAN_STOP:
        end += 1
    return text[:end]


def _han_family(text: str) -> int:
    """The length of the family name ``text`` starts with, 0 for none."""
    for n in (3, 2):
        if len(text) >= n and (text[:n] in _JAPANESE_SURNAMES or text[:n] in _COMPOUND_SURNAMES):
            return n
    return 1 if text[:1] in _CHINESE_SURNAMES or text[:1] in _JAPANESE_SURNAMES else 0


def _han_before_honorific(body: str) -> int:
    """Where the name that ends ``body`` (what preceded an honorific) starts, -1 for none:
    a family name with up to two given characters, or alone ("王先生", "田中様"), or a
    family name, a space and a given name ("鈴木 修平様"). A longer given name wins
    ("金桂花先生": 桂 is a family name too), then a longer family name, then the nearest
    to the honorific."""
    head, apart, given_name = body.replace("　", " ").rpartition(" ")
    if apart:
        for i in range(max(len(head) - 3, 0), len(head)):
            if _han_family(head[i:]) == len(head) - i:
                return i if given_name else -1
        return -1
    best: tuple[int, int, int] | None = None
    for i in range(max(len(body) - 5, 0), len(body)):
        n = _han_family(body[i:])
        given = len(body) - i - n
        if not n or given > (3 if body[i:i + n] in _JAPANESE_SURNAMES else 2) or body[max(i - 1, 0):i + 1] in _THANKS:
            continue
        if any(c in _HAN_STOP for c in body[i + n:]):
            continue
        rank = (given, n, i)
        if best is None or rank > best:
            best = rank
    return best[2] if best is not None else -1
