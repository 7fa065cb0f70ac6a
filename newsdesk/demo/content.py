"""The sample site's content, written by the newsdesk authors (fictional stories, real-style markup).

``hours_ago`` makes the dates fresh whenever the demo runs. ``encoding`` lets a page be served in
Big5, as some Taiwanese sites still do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    slug: str
    outlet: str
    title: str
    body: tuple[str, ...]
    author: str
    hours_ago: float
    language: str = "zh-Hant"
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Post:
    slug: str
    author: str
    text: str
    hours_ago: float
    boosts: int = 0
    favourites: int = 0


OUTLETS = {"demo-cna": "示範中央社", "demo-ltn": "示範自由時報", "demo-times": "Demo Taipei Times"}

ARTICLES: tuple[Article, ...] = (
    Article("mrt-signal-failure", "demo-cna", "北捷板南線號誌故障 尖峰時段列車延誤逾30分鐘 乘客怨聲載道",
            ("臺北捷運板南線今天上午7時許發生號誌系統故障，忠孝復興站至市政府站間列車延誤超過30分鐘，"
             "大批通勤族滯留月台，不少乘客抱怨上班遲到。",
             "台北捷運公司表示，故障原因初步判斷為號誌設備老舊，已派員搶修，8時10分恢復正常營運，"
             "並將全面檢查沿線設備。",
             "多位市議員批評，北捷今年已發生多次延誤，要求市府提出改善計畫，捷運局也應檢討工程品質。"),
            "王小明", 2.0),
    Article("mrt-signal-failure-copy", "demo-ltn", "板南線號誌故障列車延誤30分鐘 通勤族怨聲載道",
            ("〔記者綜合報導〕臺北捷運板南線今天上午7時許發生號誌系統故障，忠孝復興站至市政府站間列車延誤"
             "超過30分鐘，大批通勤族滯留月台，不少乘客抱怨上班遲到。",
             "台北捷運公司表示，故障原因初步判斷為號誌設備老舊，已派員搶修，8時10分恢復正常營運，"
             "並將全面檢查沿線設備。",
             "多位市議員批評，北捷今年已發生多次延誤，要求市府提出改善計畫，捷運局也應檢討工程品質。"),
            "林記者", 1.5),
    Article("social-housing-delay", "demo-cna", "北市社宅進度嚴重落後 議員痛批都發局跳票",
            ("臺北市社會住宅興建進度落後，原訂今年完工的三處社宅基地延宕至少一年，"
             "市議員今天在議會質詢時痛批都發局跳票，讓等待入住的青年失望。",
             "都發局回應，工程延宕主因是營建缺工與物價上漲，將檢討招標策略並加速趕工。"),
            "陳美玲", 5.0),
    Article("fireworks-press-conference", "demo-ltn", "蔣萬安出席大稻埕煙火記者會 邀市民共度夏日夜晚",
            ("臺北市長蔣萬安今天出席大稻埕夏日節煙火記者會，宣布今年煙火秀長達15分鐘，"
             "觀傳局並規劃河岸市集與音樂表演，歡迎市民朋友一同欣賞。",
             "蔣萬安表示，大稻埕是臺北重要的文化地標，希望透過活動帶動周邊商圈，讓更多旅客認識臺北之美。"),
            "張家豪", 3.0),
    Article("new-taipei-flooding", "demo-cna", "新北市板橋豪雨積水 居民抱怨排水不良",
            ("新北市板橋區昨晚豪雨，多處路段積水及膝，居民抱怨排水系統不良，每逢大雨就淹水。",
             "新北市政府水利局表示，將加強抽水站調度並清疏側溝。"),
            "李建國", 8.0),
    Article("flu-vaccine", "demo-ltn", "台北市流感疫苗開打 衛生局提醒長者及早接種",
            ("台北市今年公費流感疫苗今天開打，衛生局提醒65歲以上長者、幼兒及慢性病患者及早接種，"
             "全市合約醫療院所共有三百多家。",
             "衛生局表示，目前疫苗供應充足，市民可上網查詢鄰近的接種地點。"),
            "黃淑芬", 6.0),
    Article("xinyi-fire", "demo-cna", "信義區住宅火警 消防局出動20車搶救 1人嗆傷送醫",
            ("臺北市信義區一處住宅大樓今天凌晨發生火警，消防局獲報出動消防車20輛、人員60名前往搶救，"
             "火勢約半小時撲滅，一名住戶嗆傷送醫，所幸無生命危險。",
             "消防局表示，起火原因仍待調查，提醒民眾注意用電安全。"),
            "吳志明", 4.0),
    Article("school-lunch", "demo-ltn", "北市國中營養午餐驚見異物 家長憤怒要求教育局徹查",
            ("臺北市一所國中的營養午餐日前被學生發現菜餚中有異物，家長憤怒要求教育局徹查供餐廠商，"
             "並追究學校把關責任。",
             "教育局回應，已要求廠商停止供餐並送驗，若查證屬實將依約處罰。"),
            "周雅婷", 7.0, encoding="big5"),
    Article("mrt-delays-english", "demo-times", "Taipei MRT signal failure delays thousands of commuters",
            ("A signal failure on the Taipei MRT Bannan Line delayed trains by more than 30 minutes during "
             "the morning rush hour on Thursday, angering commuters who were late for work.",
             "Taipei Rapid Transit Corp said ageing signal equipment was to blame and promised a full "
             "inspection of the line."),
            "Staff writer", 1.0, language="en"),
    Article("dome-traffic", "demo-cna", "大巨蛋演唱會周邊交通管制 交通局：加開接駁公車",
            ("臺北大巨蛋本週末舉辦演唱會，交通局宣布周邊道路實施交通管制，並加開接駁公車疏運人潮，"
             "呼籲民眾多加利用大眾運輸。",),
            "許文華", 9.0),
)

POSTS: tuple[Post, ...] = (
    Post("1001", "commuter_tw", "北捷今天又誤點，到底在搞什麼，每天上班都遲到，捷運公司可以負責嗎？", 1.2, 35, 120),
    Post("1002", "bike_lover", "台北市的YouBike真的很方便，週末騎河濱超舒服！", 3.5, 2, 18),
    Post("1003", "neighbor_a", "我們巷子的垃圾車已經三天沒來了，環保局可以管一下嗎？臭死了", 2.5, 12, 40),
)
