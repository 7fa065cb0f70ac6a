"""The one table writer: the same table as text, CSV (BOM), JSON and XLSX (named sheet, 總計 row)."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from pipeline.tables import Column, Table, as_csv, as_json, as_text, as_xlsx, render, sheet_name


def _table() -> Table:
    cols = [Column("month", "月份"), Column("agency", "機關"), Column("count", "則數", numeric=True)]
    return Table("新聞稿", cols, [["113年1月", "都發局", 1200], ["113年2月", "捷運公司", 3]], title="新聞稿發布則數")


def test_text_is_aligned_for_cjk_with_separators_and_a_total() -> None:
    lines = as_text(_table()).splitlines()
    assert lines[0] == "新聞稿發布則數"
    assert lines[1].startswith("月份") and lines[1].endswith("則數")
    assert lines[2].endswith("1,200") and lines[3].endswith("    3")  # numbers right-aligned
    assert len({len(line.encode("big5")) for line in lines[1:4]}) == 1  # Big5: CJK = 2 bytes = 2 columns
    assert lines[-1].split() == ["總計", "1,203"]


def test_csv_has_a_bom_one_table_and_no_comments() -> None:
    data = as_csv(_table())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["月份,機關,則數", "113年1月,都發局,1200", "113年2月,捷運公司,3", "總計,,1203"]
    assert "#" not in text


def test_json_keys_are_english_and_the_total_is_named() -> None:
    doc = json.loads(as_json(_table()))
    assert doc["columns"] == {"month": "月份", "agency": "機關", "count": "則數"}
    assert doc["rows"][1] == {"month": "113年2月", "agency": "捷運公司", "count": 3}
    assert doc["total"] == {"count": 1203}


def test_xlsx_has_chinese_headers_a_named_sheet_and_a_total_row() -> None:
    wb = load_workbook(io.BytesIO(as_xlsx([_table(), _table()])))
    assert wb.sheetnames == ["新聞稿", "新聞稿 (2)"]
    ws = wb["新聞稿"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["月份", "機關", "則數"] and rows[-1] == ["總計", None, 1203]
    assert ws["C2"].number_format == "#,##0" and ws["A4"].font.bold and ws["A1"].font.bold


def test_sheet_names_follow_excel_rules() -> None:
    assert sheet_name("a/b:c[d]") == "a_b_c_d_"
    assert len(sheet_name("很長" * 40)) == 31
    assert sheet_name("x", ["x", "x (2)"]) == "x (3)"


def test_a_row_of_the_wrong_width_and_an_unknown_format_are_refused() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells for 3 columns"):
        Table("t", _table().columns, [["x"]])
    with pytest.raises(ValueError, match="format 'pdf'"):
        render(_table(), "pdf")
