"""Languages (issue 12): the catalogs are complete and current, the Chinese uses the article's
vocabulary, the switch and the `lang` URL parameter work, and the first visit follows the browser.
"""

from __future__ import annotations

import gettext
import io
import json
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from calculators import Message, SpecError, message_of
from dashboard.figures import FONT_FAMILY, concurrency_figure, png_filename
from dashboard.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    _,
    compile_po,
    language,
    locale_language,
    native_name,
    po_path,
    tr,
    use_language,
)
from dashboard.state import DEFAULT_STATE, decode, encode
from dashboard.view import build_view
from presets import load_catalog

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
CAT = load_catalog()


def _id(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _strings(msgstr: str | tuple[str, ...]) -> tuple[str, ...]:
    return msgstr if isinstance(msgstr, tuple) else (msgstr,)


def extracted_msgids() -> set[str]:
    """What `make messages` extracts: babel.cfg's mapping and the keywords of the Makefile."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "N_": None, "ngettext": (1, 2), "Message": None}
    out = set()
    for _file, _line, msgid, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        out.add(_id(msgid))
    return out


def catalog(lang: str):  # babel Catalog
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def fields(text: str) -> list[tuple[str, str, str | None]]:
    """The str.format fields of a message: (name, format spec, conversion), in a stable order."""
    return sorted(
        (name, spec or "", conv)
        for _lit, name, spec, conv in string.Formatter().parse(text)
        if name is not None
    )


EXTRACTED = extracted_msgids()


def test_there_are_two_languages_and_english_is_the_source() -> None:
    assert LANGUAGES[0] == "en" and "zh" in LANGUAGES
    assert native_name("zh") == "中文" and native_name("en") == "English"
    assert len(EXTRACTED) > 150  # the dashboard's text really is wrapped


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_extracted_message_is_in_the_catalog(lang: str) -> None:
    """Every msgid wrapped in the source (_, ngettext, N_, Message) is in both catalogs; run
    `make messages` and translate when this fails."""
    ids = {_id(m.id) for m in catalog(lang) if m.id}
    missing = sorted(EXTRACTED - ids)
    assert not missing, f"{lang}: not in the catalog (run `make messages`): {missing[:10]}"


def test_every_chinese_message_is_translated_and_keeps_its_placeholders() -> None:
    problems = []
    for m in catalog("zh"):
        if not m.id or _id(m.id) not in EXTRACTED:
            continue
        for s in _strings(m.string):
            if not s or m.fuzzy:
                problems.append(f"untranslated: {_id(m.id)!r}")
            elif fields(s) != fields(_id(m.id)):
                problems.append(f"placeholders differ: {_id(m.id)!r} -> {s!r}")
    assert not problems, "\n".join(problems[:20])


def test_the_english_catalog_only_lists_the_source_text() -> None:
    for m in catalog("en"):
        if m.id:
            assert all(s in ("", _id(m.id)) for s in _strings(m.string)) or isinstance(m.id, tuple)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compiled_catalog_is_current(lang: str) -> None:
    """The .mo that `make catalogs` wrote says what the committed .po says (or is absent:
    then the app compiles the .po in memory)."""
    mo = po_path(lang).with_suffix(".mo")
    fresh = gettext.GNUTranslations(io.BytesIO(compile_po(lang)))
    if mo.is_file():
        built = gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
        # every message but the header (Babel stamps it with the time of compiling)
        messages = {k: v for k, v in built._catalog.items() if k != ""}  # type: ignore[attr-defined]
        expected = {k: v for k, v in fresh._catalog.items() if k != ""}  # type: ignore[attr-defined]
        assert messages == expected, f"{mo} is stale: run `make catalogs`"
    assert LOCALE_DIR.is_dir()


@pytest.mark.parametrize(
    ("msgid", "term"),
    [
        ("Weights", "模型权重"),
        ("KV cache", "键值缓存（KV Cache）"),
        ("Activations", "激活内存"),
        ("Overhead", "额外开销"),
        ("Total", "总内存"),
        ("Concurrent requests", "并发数"),
        ("Context length (tokens per request)", "上下文长度"),
        ("Batch per request", "批处理大小"),
        (
            "Ordered by bits per weight of the quantised layers (scales included); the factor "
            "is the article's quantization factor: FP32 bytes ÷ this format's bytes (8-bit: 4, "
            "16-bit: 2).",
            "量化因子",
        ),
        ("{label} · {bpw:g} bpw · factor {factor:.3g}", "量化因子"),
        (
            "GiB = 2^30 bytes (what GPUs and engines report); GB = 10^9 bytes (how vendors "
            "market memory).",
            "GiB = 2^30 字节",
        ),
        (
            "GiB = 2^30 bytes (what GPUs and engines report); GB = 10^9 bytes (how vendors "
            "market memory).",
            "GB = 10^9 字节",
        ),
    ],
)
def test_chinese_uses_the_article_vocabulary(msgid: str, term: str) -> None:
    """The source article's own words (/work/shared/seed, 大型语言模型(LLM)部署中的内存消耗计算)."""
    with use_language("zh"):
        assert term in _(msgid)


def test_language_is_per_block_and_falls_back_to_english() -> None:
    assert language() == "en"
    with use_language("zh"):
        assert language() == "zh" and _("Weights") == "模型权重"
        with use_language("xx"):
            assert language() == "en"
    assert _("Weights") == "Weights" and _("a text no catalog has") == "a text no catalog has"


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("zh-CN", "zh"),
        ("zh_Hans_CN", "zh"),
        ("ZH-tw", "zh"),
        ("en-US", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
        ("../../etc", "en"),
    ],
)
def test_browser_locale_picks_a_catalog(locale: str | None, lang: str) -> None:
    assert locale_language(locale) == lang


def test_messages_are_english_text_and_translate_with_their_parameters() -> None:
    inner = Message("is outside {lo}..{hi}", lo=1, hi=64)
    outer = Message("{file}: {problem}", file="x.json", problem=inner)
    assert outer == "x.json: is outside 1..64"  # the CLI and JSON see plain English
    with use_language("zh"):
        assert tr(outer) == "x.json：超出 1..64 的范围"
        assert tr("Llama 3.1 8B Instruct") == "Llama 3.1 8B Instruct"  # names stay
    err = SpecError(inner)
    assert message_of(err) is inner


def test_lang_is_in_the_url_codec_and_always_in_the_share_link() -> None:
    assert encode(DEFAULT_STATE) == {"lang": "en"}
    state, notices = decode({"lang": "zh", "conc": "40"})
    assert state.lang == "zh" and state.conc == 40 and not notices
    assert encode(state)["lang"] == "zh"
    state, notices = decode({"lang": "klingon"})
    assert state.lang == "en" and "lang" in notices[0]


def test_chinese_figure_and_file_names() -> None:
    from dataclasses import replace

    with use_language("zh"):
        view = build_view(replace(DEFAULT_STATE, lang="zh"), CAT)
        fig = concurrency_figure(view).to_plotly_json()
        name = png_filename(view, "concurrency")
    assert fig["layout"]["title"]["text"].startswith("<b>GPU 显存与并发数")
    assert fig["layout"]["xaxis"]["title"]["text"] == "并发数"
    names = [t.get("name") for t in fig["data"]]
    assert "模型权重" in names and "键值缓存（KV Cache）" in names and "每块 GPU 总内存" in names
    assert "Noto Sans CJK SC" in FONT_FAMILY and "Microsoft YaHei" in FONT_FAMILY
    assert fig["layout"]["font"]["family"] == FONT_FAMILY
    assert name.startswith("显存-并发曲线-Llama-3.1-8B")
    assert not set(name) & set(" /\\:*?\"<>|'")


def run_app(context: dict[str, str] | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if context:
        at.context = context
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_chinese_page_from_the_url() -> None:
    at = run_app(lang="zh")
    assert at.title[0].value == "LLM 显存规划器"
    labels = [m.label for m in at.metric]
    assert labels[1] == "每块 GPU 模型权重" and labels[0].startswith("每块 GPU 总内存")
    assert at.sidebar.radio(key="w_lang").value == "zh"
    fig = json.loads(at.get("plotly_chart")[2].proto.spec)  # memory, speed, breakdown
    assert fig["layout"]["title"]["text"].startswith("<b>每块 GPU 显存构成")
    speed = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert speed["layout"]["title"]["text"].startswith("<b>速度与并发用户数")
    assert any("组成部分" in d.value.columns for d in at.dataframe)  # the breakdown table
    assert at.query_params["lang"] in (["zh"], "zh")


def test_first_visit_follows_the_browser_and_the_switch_goes_into_the_link() -> None:
    at = run_app(context={"locale": "zh-CN"})
    assert at.title[0].value == "LLM 显存规划器"
    at.sidebar.radio(key="w_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "LLM VRAM Planner"
    assert at.query_params["lang"] in (["en"], "en")
    # a link's language wins over the browser's
    at = run_app(context={"locale": "zh-CN"}, lang="en")
    assert at.title[0].value == "LLM VRAM Planner"
    at = run_app(context={"locale": "de-DE"})
    assert at.title[0].value == "LLM VRAM Planner"
