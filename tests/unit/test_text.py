import re

from georisk.text import escape_markdown, hidden_characters, plain, visible


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


def test_direction_overrides_and_controls_are_shown_not_obeyed():
    # Reads "Harmless site exe.pdf" on screen, holds "Harmless site " + RLO + "fdp.exe".
    disguised = "Harmless site \u202efdp.exe"
    assert visible(disguised) == "Harmless site ⟨U+202E⟩fdp.exe"
    for char in ["\u202a", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c", "\x1b", "\x08", "\U000e0041"]:
        assert visible(f"a{char}b") == f"a⟨U+{ord(char):04X}⟩b"
    assert "\u202e" not in escape_markdown(disguised) and "U\\+202E" in escape_markdown(disguised)
    assert plain(disguised) == "Harmless site ⟨U+202E⟩fdp.exe"
    assert hidden_characters(disguised) == ["U+202E"] and hidden_characters("plain") == []


def test_zero_width_characters_are_dropped_but_joiners_stay_where_a_script_needs_them():
    assert visible("Lashkar\u200b-e-\ufeffJhangvi\u00ad\u2060") == "Lashkar-e-Jhangvi"
    assert visible("IS\u200c-K\u200d") == "IS-K", "a joiner between Latin letters only disguises"
    urdu = "می\u200cشود"  # Persian/Urdu: the non-joiner is part of the spelling
    assert visible(urdu) == urdu
    family = "\U0001f468\u200d\U0001f469"  # an emoji sequence
    assert visible(family) == family
    assert visible(visible(disguised := "x\u202ey")) == visible(disguised), "showing twice changes nothing"
    assert visible("Café Zürich\nnext line") == "Café Zürich\nnext line"
