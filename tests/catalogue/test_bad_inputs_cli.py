"""Bad inputs to the ``groupconv`` command: every unusable target or argument exits with status 2 and one
line on stderr (no traceback), before any work runs; ``--debug`` shows the traceback instead."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
import torch

from groupconv import reproduce
from groupconv.cli import UsageError, main

FACTORIES = """
import torch

def boom():
    raise RuntimeError("no weights here")

def needs(a, b=1):
    return torch.nn.Identity()

def annotated() -> int:
    open(MARKER, "w").close()
    return 0

def linear():
    return torch.nn.Linear(3, 3)

class WithBadInput(torch.nn.Identity):
    def example_input(self):
        raise ValueError("no example here")

def bad_input():
    return WithBadInput()

NOT_CALLABLE = 3
"""


@pytest.fixture
def files(tmp_path):
    marker = tmp_path / "called"
    (tmp_path / "factories.py").write_text(f"MARKER = {str(marker)!r}\n" + FACTORIES)
    (tmp_path / "syntax.py").write_text("def f(:\n    pass\n")
    (tmp_path / "imports.py").write_text("raise ImportError('an optional dependency is missing')\n")
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(4)\n")
    return tmp_path, marker


def _usage_error(capsys, argv, *needles) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return captured.out


SCALAR = ["--group", "D4", "--input-shape", "1,2,6,6"]


@pytest.mark.parametrize(
    "target, needle",
    [
        ("{d}/missing.py:f", "no such file"),
        ("{d}/syntax.py:f", "syntax.py, line 1: SyntaxError"),
        ("{d}/imports.py:f", "running {d}/imports.py raised ImportError: an optional dependency is missing"),
        ("{d}/exits.py:f", "raised SystemExit: 4"),
        ("{d}/factories.py:boom", "factories.py:boom raised RuntimeError: no weights here"),
        ("{d}/factories.py:needs", "needs the arguments a; expected a factory that takes no arguments"),
        ("{d}/factories.py:NOT_CALLABLE", "is a int, neither a torch.nn.Module nor a factory"),
        ("{d}/factories.py:nothing", "has no attribute 'nothing'"),
        ("{d}/factories.py:bad_input", "example_input() raised ValueError: no example here"),
        ("os:getcwd", "os:getcwd returned a str, not a torch.nn.Module"),
        ("collections:OrderedDict", "is the class OrderedDict, not a torch.nn.Module subclass"),
        ("no_such_module_xyz:f", "cannot import no_such_module_xyz"),
        ("examples", "expected PACKAGE.MODULE:FACTORY or path/to/file.py:FACTORY"),
    ],
)
def test_verify_unusable_targets(files, capsys, target, needle):
    d, _ = files
    _usage_error(capsys, ["verify", target.format(d=d)], needle.format(d=d))


def test_verify_never_calls_a_factory_annotated_to_return_something_else(files, capsys):
    d, marker = files
    _usage_error(capsys, ["verify", f"{d}/factories.py:annotated"], "annotated to return int")
    assert not marker.exists()


def test_verify_a_model_that_fails_on_its_input(files, capsys):
    d, _ = files
    _usage_error(capsys, ["verify", f"{d}/factories.py:linear", *SCALAR], "the model fails on an input")


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--device", "banana"], "--device 'banana' is not a device"),
        (["--device", "cuda:99"], "cuda:99"),
        (["--samples", "0"], "argument --samples: expected a positive integer, got '0'"),
        (["--dtype", "float8"], "argument --dtype: invalid choice"),
        (["--input-shape", "1,x"], "expected comma-separated integers"),
        (["--input-shape", "1,0,4"], "expected positive sizes"),
        (["--group", "Q8"], "cannot parse group name 'Q8'"),
    ],
)
def test_verify_unusable_arguments(capsys, args, needle):
    _usage_error(capsys, ["verify", "torch.nn:Identity", *SCALAR, *args], needle)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_verify_cuda_without_a_gpu(capsys):
    _usage_error(
        capsys, ["verify", "torch.nn:Identity", *SCALAR, "--device", "cuda"], "CUDA is not available"
    )


@pytest.mark.parametrize("option", ["--json", "--markdown"])
def test_verify_checks_the_report_files_before_the_check_runs(tmp_path, capsys, option):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep")
    out = _usage_error(
        capsys,
        ["verify", "torch.nn:Identity", *SCALAR, option, str(blocker / "r.json")],
        "cannot write there",
    )
    assert "verification" not in out  # nothing ran, nothing was printed as passing
    _usage_error(capsys, ["verify", "torch.nn:Identity", *SCALAR, option, str(tmp_path)], "is a directory")
    # an existing file is checked without being changed; a new one is not left behind by the check
    assert main(["verify", "torch.nn:Identity", *SCALAR, option, str(tmp_path / "new.out")]) == 0
    assert (tmp_path / "new.out").stat().st_size > 0 and blocker.read_text() == "keep"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["irreps", "S100"], "S100 has order about 10^157, too large"),
        (["irreps", "C99999999999999999999"], "order 99999999999999999999, too large"),
        (
            ["irreps", "S9"],
            "S9 has order 362880, too large: character tables are printed for finite groups of ",
        ),
        (["irreps", "C4xC500"], "order 2000, too large"),
        (["irreps", "S1000000"], "symmetric groups S<n> with n <= 10000"),
        (["irreps", "SO3", "--max-degree", "-1"], "--max-degree must be between 0 and 100, got -1"),
        (["irreps", "O3", "--max-degree", "101"], "--max-degree must be between 0 and 100, got 101"),
        (["irreps", "SO2xSO2", "--max-degree", "50"], "up to 5202 irreps of degree <= 50"),
        (["irreps", "Q8"], "cannot parse group name 'Q8'"),
        (["irreps", "C0"], "argument group"),
        (["irreps", "SO3", "--max-degree", "two"], "argument --max-degree: invalid int value"),
        (["demo", "--group", "S9"], "S9 has order 362880, too large"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_irreps_unusable_groups(capsys, argv, needle):
    _usage_error(capsys, argv, needle)


@pytest.fixture
def probe():
    """A registered reproduction that records whether it ran, and fails on request."""
    calls = []

    def run(options):
        calls.append(options)
        if options.seed == 7:
            raise ValueError("seed 7 is not supported by this reproduction")
        if options.seed == 8:
            raise RuntimeError("a bug in the reproduction")
        return reproduce.Result("probe-test", "Probe", "nobody", tables={"t": [{"a": 1}]})

    reproduce.register("probe-test", run)
    yield calls
    reproduce._REGISTRY.pop("probe-test")


def test_reproduce_checks_out_device_and_data_before_running(tmp_path, capsys, probe):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    base = ["reproduce", "probe-test", "--quiet"]
    _usage_error(capsys, [*base, "--out", str(blocker)], "exists and is not a folder")
    _usage_error(capsys, [*base, "--out", str(blocker / "sub")], "cannot write there")
    _usage_error(capsys, [*base, "--device", "banana"], "is not a device")
    _usage_error(capsys, [*base, "--device", "mps"], "expected one of cpu, cuda")
    if not torch.cuda.is_available():
        _usage_error(capsys, [*base, "--device", "cuda"], "CUDA is not available")
    _usage_error(capsys, [*base, "--out", str(tmp_path / "o"), "--data-root", str(blocker)], "not a folder")
    assert probe == []  # none of these ran the reproduction
    # the output folder is created before the run, and kept
    assert main([*base, "--out", str(tmp_path / "a" / "b")]) == 0
    assert (tmp_path / "a" / "b" / "results.md").is_file() and len(probe) == 1


def test_reproduce_errors_of_the_run(tmp_path, capsys, probe):
    base = ["reproduce", "probe-test", "--quiet", "--out", str(tmp_path)]
    _usage_error(capsys, [*base, "--seed", "7"], "seed 7 is not supported")
    assert main([*base, "--seed", "8"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: a bug in the reproduction" in err and "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError, match="a bug in the reproduction"):
        main([*base, "--seed", "8", "--debug"])


def test_debug_shows_the_traceback(files):
    d, _ = files
    with pytest.raises(UsageError, match="raised RuntimeError") as info:
        main(["verify", f"{d}/factories.py:boom", "--debug"])
    assert isinstance(info.value.__cause__, RuntimeError)


def test_phase_collapse_never_unpickles_a_data_root(tmp_path, capsys):
    marker = tmp_path / "payload_ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    folder = tmp_path / "cifar" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in ("data_batch_1", "test_batch", "batches.meta"):
        (folder / name).write_bytes(pickle.dumps(Payload()))
    argv = ["reproduce", "phase-collapse", "--quiet", "--out", str(tmp_path / "o")]
    _usage_error(capsys, [*argv, "--data-root", str(tmp_path / "cifar")], "python version", "binary version")
    assert not marker.exists()


def test_exit_status_of_the_console_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "groupconv.cli", "verify", str(tmp_path / "missing.py:build")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"groupconv verify: error: no such file: {tmp_path / 'missing.py'}"
