"""The body a resident sees is Markdown made safe: nothing in it can run or call another host."""

from __future__ import annotations

from shequ.notices.rendering import render


def test_it_renders_markdown():
    html = render("# 停水\n\n明日 **停水**，请：\n\n- 储水\n- 关闭水龙头")
    assert "<h1>停水</h1>" in html
    assert "<strong>停水</strong>" in html
    assert html.count("<li>") == 2


def test_it_removes_scripts_with_their_content():
    html = render("前<script>alert('x')</script>后\n\n<style>body{display:none}</style>")
    assert "<script" not in html and "alert" not in html
    assert "<style" not in html and "display" not in html
    assert "前" in html and "后" in html


def test_it_removes_event_handlers():
    html = render('<img src="/media/a.png" onerror="alert(1)"> <p onclick="steal()">点我</p>')
    assert "onerror" not in html and "onclick" not in html and "alert" not in html
    assert 'src="/media/a.png"' in html


def test_it_removes_javascript_links():
    html = render(
        '[点我](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">又一个</a> [好的](https://example.gov.cn/a)'
    )
    assert "javascript" not in html.lower()
    assert 'href="https://example.gov.cn/a"' in html
    assert 'rel="noopener noreferrer"' in html


def test_it_keeps_only_local_images():
    html = render("![外](https://tracker.example/p.png) ![外2](//tracker.example/q.png) ![本](/static/x.png)")
    assert "tracker.example" not in html
    assert 'src="/static/x.png"' in html
    assert html.count("src=") == 1


def test_it_removes_frames_forms_and_data_urls():
    html = render('<iframe src="//x.example"></iframe><form action=/x><input></form>![d](data:image/png;base64,AA)')
    assert "<iframe" not in html and "<form" not in html and "<input" not in html
    assert "data:" not in html
