"""Languages (issue 12): the catalogs are complete and current, the Chinese uses the article's
vocabulary, the switch and the `lang` URL parameter work, and the first visit follows the browser.
"""

from __future__ import annotations

import gettext
import io
import json
import re
import string
from collections.abc import Iterator
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


# --- The whole page in Chinese: no English left (issue 12) ---------------------------------------
#
# Every model source (preset, by hand, a link's config.json: valid, malformed, refused, of an
# unverified family; a Hugging Face id on the local fake Hub) and every method, with notices and
# errors triggered, rendered in Chinese; every text a person reads (markdown, titles, captions,
# metrics, widget labels/help/options/placeholders, warnings and errors, table headers and text
# cells, the charts' titles, axis titles, legend names, annotations and hover templates) must
# hold no English word beyond the allow-list below.

# Names that stay as they are, by rule of the issue (model, GPU and engine names, units, dtypes,
# config field names) plus the abbreviations Chinese technical text writes in Latin letters:
ALLOWED_WORDS: frozenset[str] = frozenset(
    {
        # units: sizes, bits per weight
        *("GiB", "GB", "KiB", "kB", "MiB", "MB", "bpw"),
        # "token" is the usual word in Chinese LLM writing (no common translation)
        "token",
        # abbreviations written in Latin letters in Chinese (the article writes "KV Cache", its
        # term 键值缓存（KV Cache） carries "Cache")
        *("LLM", "GPU", "TP", "PP", "KV", "Cache", "MoE", "MLA", "SLO", "TTFT", "TPOT"),
        *("TFLOPS", "CUDA", "URL", "ID", "id", "CSV", "PNG", "SVG", "JSON"),
        # engines, libraries and file formats by name
        *("vLLM", "SGLang", "llama", "cpp", "TensorRT", "torch", "NCCL", "GGUF", "AWQ", "GPTQ"),
        *("Hugging", "Face", "Hub", "safetensors", "Flash", "Attention"),
        # a config value (vLLM's and SGLang's kv-cache dtype "auto"); the article's symbol C
        *("auto", "C"),
        # the language switch names each language in its own script
        "English",
    }
)
# Model, family and GPU names come from the preset catalog (checked, not listed by hand).
_TOKEN = re.compile(r"[A-Za-z0-9_.'’/]+(?:-[A-Za-z0-9_.'’/]+)*")
_QUOTED = re.compile(r"'[^'\n]{0,200}'")  # a value shown with repr(): user input, a field name
_FLAG = re.compile(r"(?<![\w-])--?[a-z][\w-]*")  # a command-line flag (llama.cpp -c, --parallel)
_CLASS_NAME = re.compile(r"[A-Z]\w*For(?:CausalLM|ConditionalGeneration)")  # transformers class
_TEXT_FIELDS = frozenset({"body", "label", "help", "placeholder", "options", "value"})


def english_words(text: str) -> list[str]:
    """The words of ``text`` written in Latin letters that are not identifiers (a config field
    name, a preset id, a dtype such as bf16 or q4_K_M: anything with a digit, '_', '.' or '/')."""
    text = _FLAG.sub(" ", _QUOTED.sub(" ", _CLASS_NAME.sub(" ", text.replace("\\", ""))))
    out = []
    for tok in _TOKEN.findall(text):
        if re.search(r"[0-9_./]", tok.strip(".'’/")):
            continue
        out += [w.strip("'’.") for w in tok.split("-") if re.fullmatch(r"[A-Za-z'’.]+", w)]
    return [w.removesuffix("'s").removesuffix("’s") for w in out if w]


def _catalog_words() -> frozenset[str]:
    names = [m.name for m in CAT.models.values()] + [m.family for m in CAT.models.values()]
    names += [g.name for g in CAT.gpus.values()]
    return frozenset(w for n in names for w in english_words(n))


NAME_WORDS: frozenset[str] = _catalog_words()


def _proto_strings(d: object, path: str, out: list[tuple[str, str]]) -> None:
    if isinstance(d, dict):
        for k, v in d.items():
            _proto_strings(v, f"{path}.{k}", out)
    elif isinstance(d, list):
        for v in d:
            _proto_strings(v, path, out)
    elif isinstance(d, str) and path.rsplit(".", 1)[-1] in _TEXT_FIELDS:
        out.append((path, d))


def _figure_strings(spec: str) -> list[tuple[str, str]]:
    fig = json.loads(spec)
    layout = fig["layout"]
    out: list[tuple[str, str]] = []

    def title(x: object) -> str:
        return str(x.get("text") or "") if isinstance(x, dict) else str(x or "")

    out.append(("chart title", title(layout.get("title"))))
    for k, v in layout.items():
        if k.startswith(("xaxis", "yaxis")) and isinstance(v, dict) and "title" in v:
            out.append((f"chart {k} title", title(v["title"])))
    out += [("chart annotation", str(a.get("text", ""))) for a in layout.get("annotations", [])]
    for trace in fig["data"]:
        out.append(("chart legend name", str(trace.get("name") or "")))
        for k in ("hovertemplate", "text"):
            v = trace.get(k)
            for s in v if isinstance(v, list) else [v]:
                if isinstance(s, str):
                    out.append((f"chart {k}", re.sub(r"%\{[^}]*\}|<[^>]*>", " ", s)))
    return out


def page_strings(at: AppTest) -> list[tuple[str, str]]:
    """Every text of the rendered page a person reads, with where it is."""
    from google.protobuf.json_format import MessageToDict

    out: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        if kind == "PlotlyChart":
            out.extend(_figure_strings(proto.spec))  # type: ignore[union-attr]
        elif kind == "Dataframe":
            df = node.value  # type: ignore[attr-defined]
            out.extend(("table header", str(c)) for c in df.columns)
            for c in df.columns:
                if df[c].dtype == object:
                    out.extend(("table cell", str(x)) for x in df[c])
        elif proto is not None:
            _proto_strings(MessageToDict(proto), kind, out)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return out


def untranslated(at: AppTest) -> list[str]:
    found = []
    for where, text in page_strings(at):
        bad = sorted({w for w in english_words(text) if w not in ALLOWED_WORDS | NAME_WORDS})
        if bad:
            found.append(f"{where}: {bad} in {text[:200]!r}")
    return sorted(set(found))


def _link_config(raw: bytes) -> str:
    from dashboard.state import encode_config

    return encode_config(raw)


_LLAMA = (ROOT / "tests" / "data" / "uploads" / "llama-3.1-8b-instruct.config.json").read_bytes()
CHINESE_PAGES: dict[str, dict[str, str]] = {
    "preset, article": {},
    "preset, vllm, SLO, PP, replicas": {"method": "vllm", "slo": "1", "pp": "2", "dp": "2"},
    "preset, sglang": {"method": "sglang"},
    "preset, llamacpp": {"method": "llamacpp", "weights": "q4_k_m"},
    "by hand": {"src": "custom"},
    "link config": {"src": "upload", "cfg": _link_config(_LLAMA)},
    "link config, malformed JSON": {
        "src": "upload",
        "cfg": _link_config(b'{"model_type": "llama",'),
    },
    "link config, refused": {
        "src": "upload",
        "cfg": _link_config(json.dumps({"model_type": "t5", "d_model": 512}).encode()),
    },
    "link config, unverified family": {
        "src": "upload",
        "cfg": _link_config(json.dumps({**json.loads(_LLAMA), "model_type": "acme_lm"}).encode()),
    },
    "bad URL values, unknown pin": {
        "conc": "abc",
        "ctx": "999999999",
        "gpus": "h100-sxm-80gb,no-such-gpu-9",
        "weights": "q9_x",
        "pins": "zzz",
    },
    "TP does not divide, context over the model's": {"tp": "3", "ctx": "262144"},
}


@pytest.mark.parametrize("name", list(CHINESE_PAGES))
def test_the_chinese_page_has_no_english_left(name: str) -> None:
    at = run_app(lang="zh", **CHINESE_PAGES[name])
    assert at.title[0].value == "LLM 显存规划器"
    assert len(at.get("plotly_chart")) >= 3
    problems = untranslated(at)
    assert not problems, "\n".join(problems[:30])


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from tests.model_sources.fake_hub import HubServer, populate

    with HubServer() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
        populate(fake, ROOT / "tests" / "data" / "hub")
        yield fake


@pytest.mark.parametrize("hf", ["Qwen/Qwen3-0.6B", "Qwen/Qwen2-7B-Instruct", "acme/gated-model"])
def test_the_chinese_page_of_a_hub_model_has_no_english_left(hub: object, hf: str) -> None:
    at = run_app(lang="zh", src="hf", hf=hf)
    problems = untranslated(at)
    assert not problems, "\n".join(problems[:30])


def test_the_english_check_finds_english() -> None:
    """The check itself: an English sentence is found, names, units and identifiers are not."""
    assert english_words("每块 GPU 总内存 @ 16 个请求：65.20 GiB") == ["GPU", "GiB"]
    assert not {*english_words("q4_K_M · bf16 · head_dim · config.json · 'conc'")}
    assert "weights" in english_words("模型权重 — weights from the architecture")
    found = {w for w in english_words("Plan: what it takes") if w not in ALLOWED_WORDS}
    assert found == {"Plan", "what", "it", "takes"}
    with use_language("en"):  # the English page is full of it
        at = run_app(lang="en")
        assert len(untranslated(at)) > 20
