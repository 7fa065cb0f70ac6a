"""Authors: people's names from Taiwanese (and mainland) bylines and from metadata, never junk.

Bylines read: ``記者王小明／台北報導``, ``〔記者王小明、李大同／台北報導〕``, ``【記者…】``,
``（中央社記者王小明台北4日電）``, ``中央社記者王小明台北4日電``, ``(王小明／台北報導)``, ``文／王小明``,
``撰文：…``, ``作者：…``, ``记者 王小明``. Desks and wires (``（國際中心／綜合外電報導）``,
``〔即時新聞／綜合報導〕``, ``（中央社東京5日綜合外電報導）``) name nobody and give nothing.

:func:`person_names` turns any author value (a meta tag, JSON-LD, a byline element) into names and
drops what is not one: URLs, handles, credit lines (``Designer by …``), copyright lines, outlets and
site names, desks, sentences.
"""

from __future__ import annotations

import re

from crawlers.titles import fold, site_like

#: Where datelines put the place right after the name (``記者王小明台北報導``, ``…桃園5日電``).
PLACES = ("台北", "臺北", "新北", "桃園", "台中", "臺中", "台南", "臺南", "高雄", "基隆", "新竹", "苗栗", "彰化",
          "南投", "雲林", "嘉義", "屏東", "宜蘭", "花蓮", "台東", "臺東", "澎湖", "金門", "馬祖", "連江",
          "綠島", "蘭嶼",
          "北京", "上海", "香港", "澳門", "東京", "首爾", "華盛頓", "紐約", "倫敦", "巴黎", "柏林", "新加坡", "曼谷")
_PLACE_END = re.compile(rf"(?:{'|'.join(PLACES)})(?:縣|市)?$")
_CLOSE = r"[〕）)\]］】]"
#: Each pattern's ``run`` group holds one or more names (and, without a separator, the place).
_BYLINES = [
    # 中央社記者王小明台北4日電 / （中央社記者王小明、李大同台北4日電）
    re.compile(r"中央社(?:駐\S{1,6}特派員|記者|特派員)\s*(?P<run>[\u4e00-\u9fff‧·、，, ]{2,30}?)"
               r"\s*\d{1,2}\s*日\s*專?電"),
    # 記者王小明／台北報導, 〔記者王小明、李大同/台北報導〕, 【記者王小明 台北報導】, 記者王小明台中報導
    re.compile(rf"(?:實習記者|实习记者|記者|记者|編譯|编译)\s*(?P<run>[\u4e00-\u9fff‧·、，, ]{{2,24}}?)\s*"
               rf"(?:[／/∕]|(?=(?:綜合|连线|連線)?(?:外電)?(?:報導|报道))|\d{{1,2}}\s*日電|{_CLOSE}|(?=\n)|$)"),
    # (王覺一／台北報導)  (Apple Daily: no 記者)
    re.compile(rf"[（(〔［\[【]\s*(?P<run>[\u4e00-\u9fff‧·、，,]{{2,20}})\s*[／/]\s*[\u4e00-\u9fff]{{0,8}}(?:報導|报道){_CLOSE}"),
    # 文／王小明, 撰文：王小明, 圖、文／王小明, 作者：王小明, 譯者：王小明
    re.compile(r"(?:^|[\s（(〔［\[【|｜])(?:圖[、/／]?)?(?:撰?文|作者|譯者|译者|采写|採寫)\s*[／/:：]\s*"
               r"(?P<run>[\u4e00-\u9fff‧·、，, ]{2,20})"),
]
#: ``作者：zboygirl`` and other handles after an explicit label (forums, blogs).
_LABELLED = re.compile(r"(?:作\s*者|发\s*帖\s*人|發\s*帖\s*人|楼主|樓主|Author|By)\s*[:：]\s*"
                       r"(?P<names>[\w\u4e00-\u9fff‧·.&\-]{2,30})",
                       re.I)
_DESK = re.compile(r"(攝影|摄影|編輯|编辑|主編|主编|核稿|翻譯|翻译|圖片|图片|中心|新聞|新闻|即時|即时|"
                   r"綜合|综合|外電|外电|報導|报道|記者|记者|特派|"
                   r"小組|小组|部$|社$|台$|網$|网$|組$|室$|團隊|团队|本報|本报|國際|国际|地方|社會|社会|政治|"
                   r"財經|财经|娛樂|娱乐|生活|體育|体育|網友|网友|報社|報系|工作|轉載|转载|來源|来源|今天|今日|表示|指出)")
_JUNK = re.compile(r"https?:|www\.|\.(?:com|net|org|tw|cn)\b|@|©|copyright|all rights|designer|design by|"
                   r"powered|\b(?:com|net|http|https|www)\b|版權|版权|\d{3,}|最新消息|追蹤|訂閱|更多|文章$|"
                   r"該作者|该作者", re.I)
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*){0,4}$")
_HANDLE = re.compile(r"^[\w.\-&]{2,30}$")
MAX_AUTHORS = 6


def byline_names(text: str, window: int = 300) -> list[str]:
    """Reporters named in a byline within the first ``window`` characters of ``text``."""
    head = (text or "")[:window]
    for pattern in _BYLINES:
        m = pattern.search(head)
        if m:
            names = [_unplace(n) for part in _split(m.group("run")) for n in part.split()]
            good = [n for n in names if _person(n, set())]
            if good:
                return good
    return []


def labelled_names(text: str) -> list[str]:
    """``作者：…`` style labels (forums and blogs), the first one in ``text``."""
    m = _LABELLED.search(text or "")
    if not m:
        return []
    name = m.group("names").strip()
    return [name] if _person(name, set(), handles=True) else []


def person_names(value: str | list[str] | None, site_names: set[str]) -> list[str]:
    """The people named in an author value; anything that is not a name is dropped."""
    values = [value] if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for v in values:
        v = " ".join(str(v).split())
        if not v or _JUNK.search(v):
            continue
        found = byline_names(v, window=len(v)) or labelled_names(v)
        if not found:
            v = re.sub(r"^(?:記者|记者|文[／/]|撰文[:：]|作者[:：]|By\s+)", "", v, flags=re.I).strip()
            parts = _split(v)
            if len(parts) == 1 and re.fullmatch(r"[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})+", v):
                parts = v.split()  # 王建宏 張文攀
            found = [n for n in parts if _person(n, site_names, handles=False)]
        out.extend(n for n in found if not site_like(n, site_names) or _LATIN_NAME.match(n))
    return list(dict.fromkeys(out))[:MAX_AUTHORS]


def _unplace(name: str) -> str:
    """``王小明台北`` → ``王小明`` (a dateline's place written right after the name); a place alone
    (``記者王小明 台北報導`` splits into two words) becomes empty."""
    if _PLACE_END.fullmatch(name) or re.fullmatch(r"[\u4e00-\u9fff]{1,3}[縣市]", name):
        return ""
    if len(name) > 3:
        stripped = _PLACE_END.sub("", name)
        if 2 <= len(stripped) < len(name):
            return stripped
    return name


def _split(names: str) -> list[str]:
    return [n.strip() for n in re.split(r"\s*(?:[、，,;；]|\s及\s|\sand\s|及|與|和)\s*", names) if n.strip()]


def _person(name: str, site_names: set[str], handles: bool = False) -> bool:
    """A person's name: 2-6 Han characters (not a desk), a capitalised Latin name, or a handle."""
    if not name or _JUNK.search(name) or len(name) > 40:
        return False
    if fold(name) in site_names:
        return False
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]+[‧·．][\u4e00-\u9fff‧·．]+", name):
        return not _DESK.search(name)
    if _LATIN_NAME.match(name):
        return True
    return handles and bool(_HANDLE.match(name)) and not name.isdigit()
