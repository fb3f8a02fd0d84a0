"""Where prompts and example documents are read from: the installed package's copy, else the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynosaur.core import prompts, resources

REPO_ROOT = Path(__file__).resolve().parents[1]


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_packaged_copy_is_preferred_over_the_checkout(tmp_path):
    packaged = _folder(tmp_path / "site" / "dynosaur" / "_data" / "prompts", {"VERSION": "packaged\n"})
    _folder(tmp_path / "checkout" / "prompts", {"VERSION": "checkout\n"})

    found = resources.data_dir("prompts", tmp_path / "site" / "dynosaur" / "_data", tmp_path / "checkout")

    assert found == packaged


def test_checkout_folder_is_used_when_the_package_carries_no_copy(tmp_path):
    checkout = _folder(tmp_path / "checkout" / "examples" / "documents", {"notes.txt": "hello"})

    found = resources.data_dir("examples/documents", tmp_path / "site" / "_data", tmp_path / "checkout")

    assert found == checkout


def test_missing_folder_error_names_both_places(tmp_path):
    packaged_root, checkout_root = tmp_path / "site" / "_data", tmp_path / "checkout"
    (tmp_path / "checkout").mkdir()
    # A file where the folder should be does not count as the folder.
    (tmp_path / "checkout" / "prompts").write_text("not a folder", encoding="utf-8")

    with pytest.raises(resources.ResourceNotFound) as caught:
        resources.data_dir("prompts", packaged_root, checkout_root)

    message = str(caught.value)
    assert str(packaged_root / "prompts") in message
    assert str(checkout_root / "prompts") in message


def test_templates_render_from_the_packaged_copy_of_a_regular_install(tmp_path, monkeypatch):
    _folder(tmp_path / "site" / "_data" / "prompts", {"greet.jinja": "Hello {{ name }}", "VERSION": "p-1\n"})
    _folder(tmp_path / "checkout" / "prompts", {"greet.jinja": "Checkout {{ name }}", "VERSION": "c-1\n"})
    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", tmp_path / "site" / "_data")
    monkeypatch.setattr(resources, "CHECKOUT_DIR", tmp_path / "checkout")

    assert prompts.render("greet.jinja", name="Ada") == "Hello Ada"
    assert prompts.prompts_version() == "p-1"
    assert tmp_path / "site" / "_data" / "prompts" == prompts.PROMPTS_DIR


def test_an_install_without_templates_reports_a_prompt_error_naming_both_places(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", tmp_path / "site" / "_data")
    monkeypatch.setattr(resources, "CHECKOUT_DIR", tmp_path / "checkout")

    with pytest.raises(prompts.PromptError) as caught:
        prompts.render("propose_system.jinja")

    assert str(tmp_path / "site" / "_data" / "prompts") in str(caught.value)
    assert str(tmp_path / "checkout" / "prompts") in str(caught.value)


def test_example_documents_follow_the_same_lookup(tmp_path, monkeypatch):
    import dynosaur.documents as documents

    packaged = _folder(tmp_path / "site" / "_data" / "examples" / "documents", {"a.txt": "x"})
    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", tmp_path / "site" / "_data")
    assert packaged == documents.EXAMPLES_DIR

    monkeypatch.setattr(resources, "PACKAGED_DATA_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(resources, "CHECKOUT_DIR", tmp_path / "empty-checkout")
    with pytest.raises(resources.ResourceNotFound, match="examples/documents"):
        _ = documents.EXAMPLES_DIR


def test_a_source_checkout_reads_its_live_top_level_folders():
    # A checkout (and an editable install of it) has no packaged copy: editing prompts/ takes
    # effect without reinstalling.
    assert not (REPO_ROOT / "dynosaur" / "_data").exists()
    assert prompts.default_prompts_dir() == REPO_ROOT / "prompts"
    assert resources.data_dir("examples/documents") == REPO_ROOT / "examples" / "documents"


def test_the_wheel_carries_the_folders_where_the_lookup_searches():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")
    wheel = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"][
        "build"
    ]["targets"]["wheel"]
    data_prefix = resources.PACKAGED_DATA_DIR.relative_to(REPO_ROOT).as_posix()

    assert wheel["sources"] == {
        "prompts": f"{data_prefix}/prompts",
        "examples/documents": f"{data_prefix}/examples/documents",
    }
    assert {"crawl", "dynosaur", "prompts", "examples/documents"} <= set(wheel["only-include"])


def test_every_python_package_in_the_wheel_ships_its_type_marker():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")
    wheel = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"][
        "build"
    ]["targets"]["wheel"]
    packages = [p for p in wheel["only-include"] if (REPO_ROOT / p / "__init__.py").is_file()]

    assert sorted(packages) == ["crawl", "dynosaur", "hubmirror"]
    assert [p for p in packages if not (REPO_ROOT / p / "py.typed").is_file()] == []
