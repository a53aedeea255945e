"""The package inventory (installed metadata, lock files) and the licence inventory: names normalised,
SPDX OR / AND, disallowed licences flagged with the reason, unknown licences."""

from __future__ import annotations

from email.message import Message
from importlib.metadata import metadata
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.security import (
    Distribution,
    installed_distributions,
    licence_inventory,
    locked_requirements,
    normalise_licence,
    with_installed_licences,
)
from mlsteward.security.inventory import declared_licence


@pytest.mark.parametrize(("declared", "normal"), [
    ("MIT License", "MIT"),
    ("mit", "MIT"),
    ("Apache Software License", "Apache-2.0"),
    ("Apache License, Version 2.0", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"),
    ("BSD License", "BSD"),  # clause count not stated: not guessed
    ("new BSD license", "BSD-3-Clause"),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0"),
    ("GNU Lesser General Public License v3 or later (LGPLv3+)", "LGPL-3.0-or-later"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("Historical Permission Notice and Disclaimer (HPND)", "HPND"),  # "and" inside a name is no operator
    ("MIT License OR Apache Software License", "MIT OR Apache-2.0"),
    ("(mit OR GPLv3) AND BSD-3-Clause", "(MIT OR GPL-3.0) AND BSD-3-Clause"),
    ("MPL-2.0 AND (Apache-2.0 OR MIT)", "MPL-2.0 AND (Apache-2.0 OR MIT)"),
    ("GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0"),
    ("Zope Public License", "Zope Public License"),  # unknown names are kept as written
    ("MIT OR", "MIT OR"),  # not an expression: one name as written
    ("", "UNKNOWN"),
])
def test_licence_names_are_normalised(declared: str, normal: str) -> None:
    assert normalise_licence(declared) == normal


def _dist(name: str, licence: str = "UNKNOWN") -> Distribution:
    return Distribution(name=name, version="1.0", licence=licence, licence_source="License-Expression")


def test_disallowed_licences_are_flagged_with_the_reason() -> None:
    packages = [_dist("plain-gpl", "GNU General Public License v3 (GPLv3)"), _dist("later", "GPL-3.0-or-later"),
                _dist("dual-ok", "MIT OR GPL-3.0-only"), _dist("dual-bad", "GPL-3.0-only OR AGPL-3.0"),
                _dist("both", "MIT AND GPL-3.0+"), _dist("lesser", "LGPL-3.0-only"), _dist("mit", "MIT License"),
                _dist("mit2", "MIT"), _dist("nothing")]
    report = licence_inventory(packages, ["GPL-3.0", "AGPLv3"])
    reasons = {p.name: p.reason for p in report.flagged}
    assert reasons == {
        "plain-gpl": "disallowed licence: GPL-3.0",
        "later": "disallowed licence: GPL-3.0-or-later",
        "dual-bad": "every alternative is disallowed: GPL-3.0-only, AGPL-3.0",
        "both": "disallowed licence: GPL-3.0+",
    }  # not dual-ok (MIT is an alternative), not LGPL, not the unknown one (allowed by default)
    assert report.disallowed == ["AGPL-3.0", "GPL-3.0"]
    assert report.counts["MIT"] == 2 and next(iter(report.counts)) == "MIT" and sum(report.counts.values()) == 9
    assert report.unknown == ["nothing"]
    row = next(p for p in report.packages if p.name == "plain-gpl")
    assert (row.licence, row.declared, row.source) == ("GPL-3.0", "GNU General Public License v3 (GPLv3)",
                                                       "License-Expression")

    strict = licence_inventory(packages, [], allowed_unknown=False)
    assert [(p.name, p.reason) for p in strict.flagged] == [
        ("nothing", "no licence declared in the package's metadata; unknown licences are not allowed")]


def _meta(**fields: str | list[str]) -> Message:
    message = Message()
    for key, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            message[key.replace("_", "-")] = v
    return message


def test_the_licence_is_read_from_expression_then_short_license_then_classifiers() -> None:
    classifiers = ["License :: OSI Approved :: Apache Software License", "License :: OSI Approved :: BSD License",
                   "Programming Language :: Python", "License :: OSI Approved"]
    assert declared_licence(_meta(License_Expression="MIT", License="BSD", Classifier=classifiers)) == \
        ("MIT", "License-Expression")
    assert declared_licence(_meta(License="BSD-3-Clause", Classifier=classifiers)) == ("BSD-3-Clause", "License")
    full_text = "Copyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, ..."
    assert declared_licence(_meta(License=full_text, Classifier=classifiers)) == \
        ("Apache Software License OR BSD License", "classifier")
    assert declared_licence(_meta(License="UNKNOWN")) == ("UNKNOWN", "none")


def test_installed_distributions_read_this_environment() -> None:
    found = {d.key: d for d in installed_distributions()}
    assert found["numpy"].version == installed_version("numpy")
    assert found["jinja2"].version == installed_version("jinja2")
    assert found["jinja2"].licence != "UNKNOWN" and found["jinja2"].licence_source != "none"
    for key, dist in found.items():  # a declared License-Expression is taken as is
        expression = metadata(key).get("License-Expression")
        if expression:
            assert (dist.licence, dist.licence_source) == (expression.strip(), "License-Expression"), key
    assert len(found) == len(installed_distributions())  # one entry per name


def test_a_lock_file_is_read_with_comments_options_hashes_and_markers(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# pip-compile output\n"
        "--index-url https://pypi.org/simple\n"
        "\n"
        f"numpy=={installed_version('numpy')}  # via pandas\n"
        "Jinja2==2.11.3 \\\n"
        "    --hash=sha256:03e47ad063331dd6a3f04a43eddca8a966a26ba0c5b7207a9a9e4e08f1b29419\n"
        "    # via flask\n"
        "colorama==0.4.6 ; sys_platform == 'nonexistent'\n"
        "requests[socks]==2.31.0\n")
    locked = locked_requirements(lock)
    assert [(d.name, d.version) for d in locked] == [("numpy", installed_version("numpy")), ("Jinja2", "2.11.3"),
                                                     ("requests", "2.31.0")]
    assert {d.licence for d in locked} == {"UNKNOWN"}

    merged = {d.key: d for d in with_installed_licences(locked, installed_distributions())}
    assert merged["numpy"].licence_source == "installed" and merged["numpy"].licence != "UNKNOWN"
    assert merged["jinja2"].licence == "UNKNOWN"  # 2.11.3 is not the installed version


@pytest.mark.parametrize(("line", "message"), [
    ("pandas>=2.0", r"requirements.lock line 2: 'pandas>=2.0' is not pinned with ==.*pandas==1.2.3"),
    ("pandas", r"line 2: 'pandas' is not pinned with =="),
    ("pandas==2.*", r"line 2: 'pandas==2.\*' is not pinned"),
    ("pkg @ https://example.com/pkg-1.0.tar.gz", r"line 2: .* is not pinned with =="),
    ("-e .", r"line 2: '-e .' is an editable install, not a pinned version"),
    ("-r base.txt", r"line 2: '-r base.txt' includes another file"),
    ("numpy==1.0", r"line 2: numpy is pinned again \(1.0; line 1 pins 2.0\)"),
    ("not a requirement!", r"line 2: 'not a requirement!' is not a requirement"),
])
def test_a_line_that_is_not_pinned_is_an_error_naming_the_line(tmp_path: Path, line: str, message: str) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"numpy==2.0\n{line}\n")
    with pytest.raises(InvalidInput, match=message):
        locked_requirements(lock)


def test_a_missing_lock_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot read the lock file .*nope.lock.*pip freeze"):
        locked_requirements(tmp_path / "nope.lock")
