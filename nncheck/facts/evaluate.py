"""A small abstract interpreter over a script's AST: what does this expression certainly hold?

Static rules must judge literal code without running it, and they must not guess. This module
answers one question, "what is the value of this expression here?", with one of:

- a Python literal (numbers, strings, ``None``, lists, tuples, dicts of literals; simple
  arithmetic such as ``1 / 255`` is folded);
- a :class:`Symbol`, a module-level name resolved through the imports (``tf.keras.layers.Dense``
  becomes ``keras.layers.Dense``);
- a :class:`CallSite`, the result of a call (``layers.Dense(64)``, ``model.fit(...)``);
- :data:`UNKNOWN`, whenever the answer is not certain.

Names are resolved flow-sensitively within a function or module scope: a use sees the last
assignment before it, but only when that assignment is in the same block or an enclosing one
(an assignment inside an ``if`` branch makes later uses unknown). Calls to the script's own
functions with a single ``return`` evaluate to what they return, so ``model = build_model()``
leads to the model that ``build_model`` constructs.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()
"""The value of an expression that cannot be known from the source."""

MISSING: Any = object()
"""An argument that the call does not pass (the callee's default applies)."""

Canonicalize = Callable[[str], str]


@dataclass(frozen=True)
class Symbol:
    """A module-level name, fully qualified through the script's imports."""

    qualname: str

    @property
    def short(self) -> str:
        return self.qualname.rpartition(".")[2]


@dataclass(eq=False)
class Binding:
    """One assignment of a name: where it takes effect and what it assigns."""

    name: str
    value: ast.expr | Symbol | ast.FunctionDef | ast.AsyncFunctionDef | None
    effect: tuple[int, int]
    block: tuple[int, ...]
    scope: Scope = field(repr=False)


@dataclass(eq=False)
class Scope:
    """A module or function body: its bindings, in source order."""

    name: str
    parent: Scope | None = field(repr=False)
    bindings: dict[str, list[Binding]] = field(default_factory=dict, repr=False)

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


@dataclass(eq=False)
class CallSite:
    """One call in the script and what it calls.

    Exactly one of ``qualname`` (a call of a module-level symbol), ``method`` (a method called on
    ``receiver``, a value) or ``callee`` (calling the result of another call, as in
    ``Dense(10)(x)``) is set, or none when the called thing is unknown.
    """

    node: ast.Call = field(repr=False)
    evaluator: Evaluator = field(repr=False)
    scope: Scope = field(repr=False)
    block: tuple[int, ...] = field(repr=False)
    qualname: str | None = None
    method: str | None = None
    receiver: Any = field(default=None, repr=False)
    callee: CallSite | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"CallSite({self.text()!r} at line {self.line})"

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def col(self) -> int:
        return self.node.col_offset + 1

    @property
    def end_line(self) -> int | None:
        return self.node.end_lineno

    @property
    def has_star_args(self) -> bool:
        """``*args`` or ``**kwargs`` in the call: some arguments cannot be seen."""
        return any(isinstance(a, ast.Starred) for a in self.node.args) or any(
            k.arg is None for k in self.node.keywords
        )

    @property
    def keyword_names(self) -> set[str]:
        return {k.arg for k in self.node.keywords if k.arg is not None}

    def arg_node(self, name: str, position: int | None = None) -> ast.expr | None:
        for keyword in self.node.keywords:
            if keyword.arg == name:
                return keyword.value
        if position is not None and position < len(self.node.args):
            candidate = self.node.args[position]
            if not any(isinstance(a, ast.Starred) for a in self.node.args[: position + 1]):
                return candidate
        return None

    def arg(self, name: str, position: int | None = None) -> Any:
        """The argument's value; MISSING when not passed (and no ``**kwargs`` could pass it)."""
        node = self.arg_node(name, position)
        if node is None:
            return UNKNOWN if self.has_star_args else MISSING
        return self.evaluator.value(node, self.scope, self.block)

    def text(self) -> str:
        return ast.unparse(self.node.func)


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_MAX_DEPTH = 40


class Evaluator:
    """Builds the scopes of one module and evaluates expressions in them."""

    def __init__(self, tree: ast.Module, canonicalize: Canonicalize) -> None:
        self.tree = tree
        self.canonicalize = canonicalize
        self.module_scope = Scope("<module>", None)
        self.calls: list[CallSite] = []
        self.functions: dict[int, tuple[Scope, tuple[int, ...]]] = {}
        self._call_sites: dict[int, CallSite] = {}
        self._call_context: dict[int, tuple[Scope, tuple[int, ...]]] = {}
        self._call_nodes: dict[int, ast.Call] = {}
        self._stmt_blocks: dict[int, tuple[int, ...]] = {}
        self._depth = 0
        self._blocks = 0
        self._walk_body(tree.body, self.module_scope, ())
        for node_id in self._call_context:
            self.calls.append(self.call_site_by_id(node_id))
        self.calls.sort(key=lambda c: (c.line, c.col))

    # -- building scopes -------------------------------------------------------------------

    def _new_block(self, parent: tuple[int, ...]) -> tuple[int, ...]:
        self._blocks += 1
        return (*parent, self._blocks)

    def _walk_body(self, body: list[ast.stmt], scope: Scope, block: tuple[int, ...]) -> None:
        for stmt in body:
            self._walk_stmt(stmt, scope, block)

    def _walk_stmt(self, stmt: ast.stmt, scope: Scope, block: tuple[int, ...]) -> None:
        effect = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
        self._stmt_blocks[id(stmt)] = block
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in stmt.decorator_list:
                self._note_calls(decorator, scope, block)
            self._note_calls(stmt.args, scope, block)
            scope.add(Binding(stmt.name, stmt, effect, block, scope))
            inner = Scope(stmt.name, scope)
            for arg in ast.walk(stmt.args):
                if isinstance(arg, ast.arg):
                    inner.add(Binding(arg.arg, None, (0, 0), (), inner))
            self.functions[id(stmt)] = (inner, ())
            self._walk_body(stmt.body, inner, ())
            return
        if isinstance(stmt, ast.ClassDef):
            for expr in [*stmt.bases, *stmt.keywords, *stmt.decorator_list]:
                self._note_calls(expr, scope, block)
            scope.add(Binding(stmt.name, None, effect, block, scope))
            self._walk_body(stmt.body, Scope(stmt.name, scope), ())
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self._bind_import(stmt, scope, block, effect)
            return
        # Names bound by this statement, then nested blocks, then the calls it makes.
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    scope.add(Binding(target.id, stmt.value, effect, block, scope))
                else:
                    self._bind_unknown(target, scope, block, effect)
        elif isinstance(stmt, ast.AugAssign | ast.For | ast.AsyncFor):
            self._bind_unknown(stmt.target, scope, block, effect)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self._bind_unknown(item.optional_vars, scope, block, effect)
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.ExceptHandler):
                if child.name:
                    scope.add(Binding(child.name, None, effect, block, scope))
                self._walk_body(child.body, scope, self._new_block(block))
            elif isinstance(child, ast.match_case):
                self._walk_body(child.body, scope, self._new_block(block))
        for name in ("body", "orelse", "finalbody"):
            nested = getattr(stmt, name, None)
            if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                self._walk_body(nested, scope, self._new_block(block))
        for child in ast.iter_child_nodes(stmt):
            if not isinstance(child, ast.stmt | ast.ExceptHandler | ast.match_case):
                self._note_calls(child, scope, block)

    def _note_calls(self, node: ast.AST, scope: Scope, block: tuple[int, ...]) -> None:
        for child in ast.walk(node):
            if isinstance(child, ast.Call):
                self._call_context[id(child)] = (scope, block)
                self._call_nodes[id(child)] = child
            elif isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                effect = (child.end_lineno or 0, child.end_col_offset or 0)
                scope.add(Binding(child.target.id, child.value, effect, block, scope))
            elif isinstance(child, ast.comprehension):
                self._bind_unknown(child.target, scope, block, (child.target.lineno, 0))

    def _bind_unknown(
        self, target: ast.AST, scope: Scope, block: tuple[int, ...], effect: tuple[int, int]
    ) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                scope.add(Binding(node.id, None, effect, block, scope))

    def _bind_import(
        self,
        stmt: ast.Import | ast.ImportFrom,
        scope: Scope,
        block: tuple[int, ...],
        effect: tuple[int, int],
    ) -> None:
        for alias in stmt.names:
            if isinstance(stmt, ast.Import):
                if alias.asname:
                    name, qualname = alias.asname, alias.name
                else:
                    name = qualname = alias.name.partition(".")[0]
            else:
                if alias.name == "*":
                    continue
                module = "." * stmt.level + (stmt.module or "")
                name = alias.asname or alias.name
                qualname = f"{module}.{alias.name}" if module else alias.name
            symbol = Symbol(self.canonicalize(qualname))
            scope.add(Binding(name, symbol, effect, block, scope))

    # -- evaluating ------------------------------------------------------------------------

    def call_site_by_id(self, node_id: int) -> CallSite:
        site = self._call_sites.get(node_id)
        if site is None:
            node = self._call_nodes[node_id]
            scope, block = self._call_context[node_id]
            site = CallSite(node, self, scope, block)
            self._call_sites[node_id] = site  # before resolving: breaks cycles
            self._resolve_callee(site)
        return site

    def _resolve_callee(self, site: CallSite) -> None:
        func = site.node.func
        if isinstance(func, ast.Attribute):
            base = self.value(func.value, site.scope, site.block)
            if isinstance(base, Symbol):
                site.qualname = self.canonicalize(f"{base.qualname}.{func.attr}")
            else:
                site.method, site.receiver = func.attr, base
            return
        target = self.value(func, site.scope, site.block)
        if isinstance(target, Symbol):
            site.qualname = target.qualname
        elif isinstance(target, CallSite):
            site.callee = target

    def value(self, node: ast.AST, scope: Scope, block: tuple[int, ...]) -> Any:
        """What ``node`` certainly evaluates to where it stands, or UNKNOWN."""
        if self._depth > _MAX_DEPTH:
            return UNKNOWN
        self._depth += 1
        try:
            return self._value(node, scope, block)
        finally:
            self._depth -= 1

    def _value(self, node: ast.AST, scope: Scope, block: tuple[int, ...]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._lookup(node.id, (node.lineno, node.col_offset), scope, block)
        if isinstance(node, ast.Attribute):
            base = self.value(node.value, scope, block)
            if isinstance(base, Symbol):
                return Symbol(self.canonicalize(f"{base.qualname}.{node.attr}"))
            return UNKNOWN
        if isinstance(node, ast.Call):
            if id(node) not in self._call_context:
                return UNKNOWN
            site = self.call_site_by_id(id(node))
            returned = self._local_return(site)
            return site if returned is None else returned
        if isinstance(node, ast.List | ast.Tuple):
            items = [self.value(e, scope, block) for e in node.elts]
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return UNKNOWN
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            keys = [self.value(k, scope, block) if k is not None else UNKNOWN for k in node.keys]
            if any(k is UNKNOWN or isinstance(k, list | dict) for k in keys):
                return UNKNOWN
            return {k: self.value(v, scope, block) for k, v in zip(keys, node.values, strict=True)}
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand, scope, block)
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                if isinstance(node.op, ast.USub):
                    return -operand
                if isinstance(node.op, ast.UAdd):
                    return operand
            return UNKNOWN
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope, block)
        return UNKNOWN

    def _binop(self, node: ast.BinOp, scope: Scope, block: tuple[int, ...]) -> Any:
        left = self.value(node.left, scope, block)
        right = self.value(node.right, scope, block)
        numbers = (int, float)
        op = _BINOPS.get(type(node.op))
        if op is None or not (isinstance(left, numbers) and isinstance(right, numbers)):
            return UNKNOWN
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            return UNKNOWN
        try:
            return op(left, right)
        except (ArithmeticError, ValueError):
            return UNKNOWN

    def _lookup(self, name: str, at: tuple[int, int], scope: Scope, block: tuple[int, ...]) -> Any:
        bindings = scope.bindings.get(name)
        if bindings:
            before = [b for b in bindings if b.effect <= at]
            if not before:
                return UNKNOWN
            binding = max(before, key=lambda b: b.effect)
            if block[: len(binding.block)] != binding.block:
                return UNKNOWN  # last assigned in a branch that may not have run
            return self._binding_value(binding)
        if scope.parent is None:
            return UNKNOWN
        outer: Scope | None = scope.parent
        while outer is not None and name not in outer.bindings:
            outer = outer.parent
        if outer is None or len(outer.bindings[name]) != 1:
            return UNKNOWN  # a function runs later: only a name assigned once is certain
        return self._binding_value(outer.bindings[name][0])

    def _binding_value(self, binding: Binding) -> Any:
        value = binding.value
        if value is None:
            return UNKNOWN
        if isinstance(value, Symbol):
            return value
        if isinstance(value, ast.FunctionDef | ast.AsyncFunctionDef):
            return LocalFunction(value)
        return self.value(value, binding.scope, binding.block)

    def _local_return(self, site: CallSite) -> Any:
        """For a call of the script's own function with a single return: what it returns."""
        func = site.node.func
        if not isinstance(func, ast.Name):
            return None
        target = self._lookup(func.id, (site.line, site.node.col_offset), site.scope, site.block)
        if not isinstance(target, LocalFunction):
            return None
        returns = _own_returns(target.node)
        if len(returns) != 1 or returns[0].value is None:
            return UNKNOWN
        inner, _ = self.functions[id(target.node)]
        ret = returns[0]
        assert ret.value is not None  # checked above
        return self.value(ret.value, inner, self._stmt_blocks.get(id(ret), ()))


@dataclass(frozen=True)
class LocalFunction:
    """A function defined in the script itself."""

    node: ast.FunctionDef | ast.AsyncFunctionDef


def _own_returns(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Return]:
    """The return statements of ``func`` itself, not of functions or classes nested in it."""
    found: list[ast.Return] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
        ):
            stack.extend(ast.iter_child_nodes(node))
    return found
