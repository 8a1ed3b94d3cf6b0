"""The device UI's assets: built (minified, gzipped) within the budget, the
.gz the same bytes, and the markup accessible (landmarks, a label for each
control).  The build is a host tool: CPython only."""

import device_support as ds
import support

BUDGET_NOTE = "the whole UI, gzipped, within tools/device/build_assets.py BUDGET"


def _host_only():
    if support.IS_MICROPYTHON:
        support.skip("tools/device/build_assets.py is a host tool (re, gzip): CPython")
    import os
    import sys

    sys.path.insert(0, os.path.join(ds.REPO, "tools", "device"))
    import build_assets

    return build_assets


def test_the_built_ui_is_within_its_budget_and_the_gz_match():
    build_assets = _host_only()
    import gzip
    import os

    out = support.tmp_dir("dev_assets")
    sizes = build_assets.build(ds.WWW_SRC, out, quiet=True)
    assert sorted(sizes) == ["app.js", "index.html", "style.css"]
    total = sum(gz for _, _, gz in sizes.values())
    assert total <= build_assets.BUDGET, (total, BUDGET_NOTE)
    assert build_assets.BUDGET <= 24 * 1024
    for name, (raw, mini, gz) in sizes.items():
        assert mini <= raw and gz < mini, name
        with open(os.path.join(out, name), "rb") as f:
            plain = f.read()
        with open(os.path.join(out, name + ".gz"), "rb") as f:
            assert gzip.decompress(f.read()) == plain
    # a second build changes nothing (same bytes: the ETags stay)
    before = {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)}
    build_assets.build(ds.WWW_SRC, out, quiet=True)
    after = {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)}
    assert before == after


def test_the_minifier_keeps_strings_and_refuses_what_it_cannot_handle():
    build_assets = _host_only()
    js = build_assets.build_js('const a = "x // not a comment"; // a comment\n'
                               "  /* gone */ const b = 'y /* kept */';\n\n")
    assert js == "const a = \"x // not a comment\";\nconst b = 'y /* kept */';\n", js
    try:
        build_assets.build_js("const r = /ab+c/;\n")
    except ValueError as e:
        assert "regular expression" in str(e)
    else:
        raise AssertionError("a regex literal went through")
    css = build_assets.build_css("a , b {\n  color: red ;\n}\n/* x */ @media (min-width: 1px) "
                                 "{ p { x: y } }")
    assert css == "a,b{color:red}@media (min-width:1px){p{x:y}}\n", css


def test_the_page_has_landmarks_and_a_label_for_every_control():
    _host_only()
    from html.parser import HTMLParser

    class Scan(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags = []
            self.controls = []
            self.labels_for = set()
            self.in_label = 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.tags.append(tag)
            if tag == "label":
                self.in_label += 1
                if "for" in a:
                    self.labels_for.add(a["for"])
            if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
                self.controls.append((a.get("id"), self.in_label > 0, a.get("aria-label")))

        def handle_endtag(self, tag):
            if tag == "label":
                self.in_label -= 1

    s = Scan()
    with open(ds.WWW_SRC + "/index.html", encoding="utf-8") as f:
        s.feed(f.read())
    for landmark in ("header", "nav", "main"):
        assert landmark in s.tags, landmark
    assert s.controls
    for cid, wrapped, aria in s.controls:
        assert wrapped or aria or (cid and cid in s.labels_for), ("no label for", cid)
