import re

from georisk.text import escape_markdown


def test_markdown_and_html_are_escaped():
    hostile = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) ![i](http://e/x.png) **b** :red[r] $x$"
    escaped = escape_markdown(hostile)
    for special in "<>[]()!*:$":
        assert f"\\{special}" in escaped
        assert re.search(rf"(?<!\\){re.escape(special)}", escaped) is None, special
    # Every original character is still there, only preceded by a backslash where special.
    assert escaped.replace("\\", "") == hostile.replace("\\", "")


def test_none_and_line_breaks():
    assert escape_markdown(None) == ""
    assert escape_markdown("a\n\nb") == "a b"
