"""What a backtest command imports: only its own command module, and neither numba nor the CSV
stack when the data comes from a catalog (start-up is part of every run's wall time)."""

from __future__ import annotations

import subprocess
import sys

from tests.unit.test_aot_kernels import build_all

#: Modules a backtest of quotes does not need, imported only by the code that uses them:
#: OpenSSL's hashes (hashlib; BLAKE2b comes from domain.digest), the order books (with the first
#: BOOK_DELTA), sockets (when a tailer registers with the journal's writer), crash recovery's
#: plan and the rebuild under it (when the journal already holds records).
LAZY = ("_hashlib", "engines.book", "replay.rebuild", "replay.recovery_plan", "replay.verifying",
        "socket")


def test_a_catalog_backtest_imports_no_other_command_no_numba_and_no_csv_stack(tmp_path):
    csv = tmp_path / "audusd.csv"
    csv.write_text("timestamp,bid,ask\n1,0.70000,0.70010\n2,0.70001,0.70011\n")
    cat = tmp_path / "cat"
    subprocess.run([sys.executable, "-m", "replay.cli", "ingest", str(csv), "--catalog", str(cat)],
                   check=True, capture_output=True)
    code = (
        "import sys\n"
        "from replay.cli import main\n"
        f"code = main(['backtest', '--strategy', 'noop', '--data', {str(cat)!r}, '--journal', "
        f"{str(tmp_path / 'j')!r}, '--quiet', '--json'])\n"
        "mods = [m for m in sys.modules if m.startswith('replay.commands.')]\n"
        "print(code, sorted(mods), 'numba' in sys.modules, 'pyarrow' in sys.modules, "
        "'replay.loaders.csv_common' in sys.modules, file=sys.stderr)\n"
        "print(sorted(m for m in LAZY if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", f"LAZY = {LAZY!r}\n" + code], capture_output=True,
                         text=True, check=True)
    *_, modules, lazy = out.stderr.strip().splitlines()
    assert modules == "0 ['replay.commands.backtest'] False False False"
    assert lazy == "[]"


def test_the_full_parser_still_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "replay.cli", "--help"], capture_output=True,
                         text=True, check=True)
    for name in ("backtest", "verify", "ingest", "catalog", "sweep"):
        assert name in out.stdout


def test_a_dbn_backtest_imports_neither_the_csv_loaders_nor_pyarrow_nor_scipy_linalg(
        shared_data, tmp_path):
    es = shared_data / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
    build_all()  # compiled here if this machine can and has not yet: the child only loads it
    code = (
        "import sys\n"
        "from replay.cli import main\n"
        f"code = main(['backtest', '--strategy', 'noop', '--data', {str(es)!r}, '--journal', "
        f"{str(tmp_path / 'j')!r}, '--quiet', '--json'])\n"
        "numba = 'numba' in sys.modules\n"
        "from engines.book.kernels import book_kernels\n"
        "compiled = type(book_kernels()).__name__ == 'module'\n"
        "print(code, 'pyarrow' in sys.modules, 'replay.loaders.csv_common' in sys.modules, "
        "'scipy.linalg' in sys.modules, numba == (not compiled), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # numba is imported only when the kernels' compiled module is unavailable (engines.aot)
    assert out.stderr.strip().splitlines()[-1] == "0 False False False True"


def test_the_blake2b_of_domain_digest_is_hashlibs():
    import hashlib

    from domain.digest import blake2b

    assert blake2b is hashlib.blake2b
    assert blake2b(b"ringbus", digest_size=8).hexdigest() == \
        hashlib.new("blake2b", b"ringbus", digest_size=8).hexdigest()


def test_a_csv_backtest_loads_its_own_loader_alone(tmp_path):
    csv = tmp_path / "audusd.csv"
    csv.write_text("timestamp,bid,ask\n1,0.70000,0.70010\n2,0.70001,0.70011\n")
    code = (
        "import sys\n"
        "from replay.cli import main\n"
        f"code = main(['backtest', '--strategy', 'noop', '--data', {str(csv)!r}, '--journal', "
        f"{str(tmp_path / 'j')!r}, '--quiet', '--json'])\n"
        "print(code, file=sys.stderr)\n"
        "print(sorted(m for m in sys.modules if m.startswith('replay.loaders.') and m[15:] in "
        "('bars_csv', 'binance_depth', 'histdata', 'tardis', 'trades_csv')), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *_, exit_code, other_loaders = out.stderr.strip().splitlines()
    assert exit_code == "0"
    assert other_loaders == "[]"  # a quotes file imports its own loader only
