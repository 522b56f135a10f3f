"""The abstract interpreter answers only what is certain."""

from __future__ import annotations

import ast

from nncheck.facts.evaluate import UNKNOWN, CallSite, Symbol
from nncheck.facts.source import SourceFacts


def value_of(code: str, expr: str = "RESULT") -> object:
    """Evaluate the name ``expr`` as used in a final ``probe(expr)`` call."""
    facts = SourceFacts.from_text(code + f"\nprobe({expr})\n")
    probe = [c for c in facts.calls if ast.unparse(c.node.func) == "probe"][-1]
    return probe.arg("x", 0)


def test_literals_and_folded_arithmetic() -> None:
    assert value_of("RESULT = 1 / 255") == 1 / 255
    assert value_of("A = 2\nRESULT = A ** 5 * -1") == -32
    assert value_of("RESULT = [1, 'a', None, (2, 3)]") == [1, "a", None, (2, 3)]
    assert value_of("RESULT = {'k': 3}") == {"k": 3}


def test_imports_resolve_to_canonical_keras_names() -> None:
    assert value_of("import tensorflow as tf\nRESULT = tf.keras.layers.Dense") == Symbol(
        "keras.layers.Dense"
    )
    assert value_of("from tensorflow.keras import layers as L\nRESULT = L.Conv2D") == Symbol(
        "keras.layers.Conv2D"
    )
    assert value_of("from keras.models import Sequential as S\nRESULT = S") == Symbol(
        "keras.Sequential"
    )


def test_last_assignment_wins_in_straight_line_code() -> None:
    assert value_of("RESULT = 1\nRESULT = 2") == 2
    assert value_of("x = 3\nx = x * 2\nRESULT = x") == 6


def test_assignment_in_a_branch_makes_the_name_unknown() -> None:
    code = "import sys\nRESULT = 1e-3\nif sys.argv:\n    RESULT = 1.0\n"
    assert value_of(code) is UNKNOWN


def test_unresolvable_names_are_unknown() -> None:
    assert (
        value_of("import argparse\nargs = argparse.ArgumentParser().parse_args()", "args.epochs")
        is UNKNOWN
    )
    assert value_of("", "undefined_name") is UNKNOWN
    assert value_of("for RESULT in range(3):\n    pass") is UNKNOWN


def test_a_local_function_call_evaluates_to_its_single_return() -> None:
    code = (
        "import keras\ndef build():\n    m = keras.Sequential()\n    return m\nRESULT = build()\n"
    )
    result = value_of(code)
    assert isinstance(result, CallSite) and result.qualname == "keras.Sequential"


def test_a_function_with_several_returns_is_unknown() -> None:
    code = "def pick(a):\n    if a:\n        return 1\n    return 2\nRESULT = pick(0)\n"
    assert value_of(code) is UNKNOWN


def test_module_constant_is_seen_from_inside_a_function_only_when_assigned_once() -> None:
    code = "N = 64\ndef f():\n    probe(N)\n"
    facts = SourceFacts.from_text(code)
    assert facts.calls[0].arg("x", 0) == 64
    facts = SourceFacts.from_text("N = 64\nN = 32\ndef f():\n    probe(N)\n")
    assert facts.calls[0].arg("x", 0) is UNKNOWN


def test_method_calls_record_receiver_and_layer_applications_record_callee() -> None:
    facts = SourceFacts.from_text(
        "from keras import layers\nd = layers.Dense(4)\ny = d(x)\nz = y.numpy()\n"
    )
    dense, apply, method = facts.calls
    assert dense.qualname == "keras.layers.Dense"
    assert apply.callee is dense
    assert method.method == "numpy" and method.receiver is apply


def test_star_args_make_missing_arguments_unknown() -> None:
    facts = SourceFacts.from_text("import keras\nkw = {}\nkeras.layers.Dense(**kw)\n")
    assert facts.calls[-1].arg("units", 0) is UNKNOWN
