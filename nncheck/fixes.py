"""Applying fixes: the findings' edits made to the scripts, keeping their formatting.

A rule that is certain of its fix attaches an :class:`~nncheck.findings.Edit` (set a call's
argument, insert a statement after the imports). Here the edits become changes of the
script's concrete syntax tree (libcst), so everything the edit does not touch, comments,
quotes, line breaks and trailing commas included, stays byte for byte. An edit whose call
or argument is no longer what the rule saw is not applied, and says why; a file that changed
on disk since nncheck read it is not touched at all. Notebooks are not edited.
"""

from __future__ import annotations

import ast
import difflib
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from nncheck.findings import Edit, Finding
from nncheck.notebook import is_notebook
from nncheck.results import text_digest


@dataclass
class FileFix:
    """The fixes for one file: its text before and after, what was fixed, what was not."""

    path: str
    before: str
    after: str
    fixed: list[Finding] = field(default_factory=list)
    not_applied: list[tuple[Finding, str]] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )

    def write(self) -> None:
        Path(self.path).write_bytes(self.after.encode(self.encoding))


@dataclass
class FixPlan:
    """Every file's fixes, the files left alone and why, and the unsafe fixes held back."""

    files: list[FileFix] = field(default_factory=list)
    untouched: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    unsafe_held: int = 0

    @property
    def fixed(self) -> list[Finding]:
        return [f for file in self.files if file.changed for f in file.fixed]


def plan(findings: Sequence[Finding], digests: dict[str, str], *, unsafe: bool = False) -> FixPlan:
    """The fixes of ``findings`` (the safe ones; the unsafe too with ``unsafe``), per file.

    ``digests`` holds each file's digest of the text the check read: a file whose text
    differs now is not touched.
    """
    result = FixPlan()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.edit is None:
            continue
        if not finding.edit.safe and not unsafe:
            result.unsafe_held += 1
            continue
        by_path.setdefault(finding.path, []).append(finding)
    for path, fixable in sorted(by_path.items()):
        why = _why_untouched(Path(path), digests.get(path))
        if why:
            result.untouched.append((path, why))
            continue
        result.files.append(fix_file(path, fixable))
    return result


def _why_untouched(path: Path, read_digest: str | None) -> str | None:
    if is_notebook(path):
        return "notebooks are not edited by --fix; apply the fixes in the cells"
    if read_digest is None:
        return "nncheck did not read its source in this run"
    try:
        with tokenize.open(path) as handle:
            now = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        return f"cannot read it again: {error}"
    if text_digest(now) != read_digest:
        return "it changed on disk since nncheck read it; run nncheck again"
    return None


def fix_file(path: str, findings: Iterable[Finding]) -> FileFix:
    """Apply the findings' edits to the file at ``path`` (in memory: ``write()`` saves)."""
    data = Path(path).read_bytes()
    module = cst.parse_module(data)
    before = module.code
    fixed, not_applied = [], []
    edits: list[tuple[Finding, Edit]] = []
    for finding in findings:
        assert finding.edit is not None
        edits.append((finding, finding.edit))
    after_module, outcomes = apply_edits(module, [edit for _, edit in edits])
    for (finding, _), why in zip(edits, outcomes, strict=True):
        if why is None:
            fixed.append(finding)
        else:
            not_applied.append((finding, why))
    return FileFix(path, before, after_module.code, fixed, not_applied, module.encoding)


def apply_edits(module: cst.Module, edits: Sequence[Edit]) -> tuple[cst.Module, list[str | None]]:
    """The module with ``edits`` made, and per edit None (made) or why it was not."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    calls = [node for node in positions if isinstance(node, cst.Call)]
    replacements: dict[cst.CSTNode, cst.CSTNode] = {}
    added: dict[cst.Call, list[tuple[str, cst.BaseExpression]]] = {}
    statements: list[str] = []
    outcomes: list[str | None] = []
    for edit in edits:
        if edit.kind == "statement":
            statements.append(edit.value)
            outcomes.append(None)
            continue
        outcomes.append(_plan_argument(module, edit, calls, positions, replacements, added))
    if not replacements and not added and not statements:
        return module, outcomes
    changed = module.visit(_Apply(replacements, added))
    assert isinstance(changed, cst.Module)
    if statements:
        changed = _insert_after_imports(changed, statements)
    return changed, outcomes


def _plan_argument(
    module: cst.Module,
    edit: Edit,
    calls: list[cst.Call],
    positions: Mapping[cst.CSTNode, CodeRange],
    replacements: dict[cst.CSTNode, cst.CSTNode],
    added: dict[cst.Call, list[tuple[str, cst.BaseExpression]]],
) -> str | None:
    matching = [
        call
        for call in calls
        if positions[call].start.line == edit.line
        and (not edit.col or positions[call].start.column == edit.col - 1)
        and _called_name(call) == edit.call
    ]
    if len(matching) != 1:
        return f"no single {edit.call}() call on line {edit.line} any more"
    call = matching[0]
    try:
        value = cst.parse_expression(edit.value)
    except cst.ParserSyntaxError:
        return f"the fix is not a Python expression: {edit.value}"
    argument = _argument(call, edit)
    if argument is None:
        if edit.keyword is None:
            return f"{edit.call}() has no argument {edit.position}"
        added.setdefault(call, []).append((edit.keyword, value))
        return None
    if edit.old is None:
        replacements[argument.value] = value
        return None
    expected = ast.literal_eval(edit.old)
    literal = _literal_node(module, argument.value, expected)
    if literal is None:
        return f"{edit.keyword or 'the argument'} is not the literal {edit.old} in the source"
    replacements[literal] = _same_quotes(literal, value)
    return None


def _called_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _argument(call: cst.Call, edit: Edit) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == edit.keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if edit.position is not None and edit.position < len(positional):
        return positional[edit.position]
    return None


def _literal_value(node: cst.BaseExpression) -> object:
    try:
        return ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _literal_node(
    module: cst.Module, node: cst.BaseExpression, expected: object
) -> cst.BaseExpression | None:
    """The literal to change: the argument itself, or for a module-level name assigned once
    (``BATCH_SIZE = 50``, and never again), the literal it is assigned."""
    if _literal_value(node) == expected and type(_literal_value(node)) is type(expected):
        return node
    if not isinstance(node, cst.Name):
        return None
    assigned = _assignments(module, node.value)
    if len(assigned) != 1 or assigned[0] is None:
        return None
    value = assigned[0]
    return value if _literal_value(value) == expected else None


def _assignments(module: cst.Module, name: str) -> list[cst.BaseExpression | None]:
    """Every assignment of ``name`` in the module: the value of a top-level ``name = v``,
    None for any other binding (augmented, in a loop, a function's, an import)."""
    found: list[cst.BaseExpression | None] = []
    top_level = {
        id(stmt.body[0])
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
    }

    class Bindings(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    single = len(node.targets) == 1 and id(node) in top_level
                    found.append(node.value if single else None)
                elif name in _names(target.target):
                    found.append(None)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if name in _names(node.target):
                found.append(None)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if name in _names(node.target):
                found.append(None)

        def visit_For(self, node: cst.For) -> None:
            if name in _names(node.target):
                found.append(None)

        def visit_Param(self, node: cst.Param) -> None:
            if node.name.value == name:
                found.append(None)

        def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
            bound = node.asname.name if node.asname else node.name
            if isinstance(bound, cst.Name) and bound.value == name:
                found.append(None)

    module.visit(Bindings())
    return found


def _names(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, found: cst.Name) -> None:
            names.add(found.value)

    node.visit(Collect())
    return names


def _same_quotes(old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
    """A replaced string keeps the script's quote character."""
    if isinstance(old, cst.SimpleString) and isinstance(new, cst.SimpleString):
        quote, value = old.quote, ast.literal_eval(new.value)
        if isinstance(value, str) and quote in {'"', "'"} and quote not in value:
            return cst.SimpleString(f"{quote}{value}{quote}")
    return new


class _Apply(cst.CSTTransformer):
    """Replaces the planned nodes and adds the planned keyword arguments."""

    def __init__(
        self,
        replacements: dict[cst.CSTNode, cst.CSTNode],
        added: dict[cst.Call, list[tuple[str, cst.BaseExpression]]],
    ) -> None:
        super().__init__()
        self.replacements = replacements
        self.added = added

    def on_leave(  # type: ignore[override]  # returns another node type than it was given
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        updated = super().on_leave(original_node, updated_node)
        if original_node in self.replacements:
            return self.replacements[original_node]
        if isinstance(original_node, cst.Call) and isinstance(updated, cst.Call):
            keywords = self.added.get(original_node)
            if keywords:
                return _with_keywords(updated, keywords)
        return updated


def _with_keywords(call: cst.Call, keywords: list[tuple[str, cst.BaseExpression]]) -> cst.Call:
    """The call with keyword arguments appended in its own layout: on a call written one
    argument a line with a trailing comma, each new one gets a line of its own."""
    args = list(call.args)
    no_spaces = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    for keyword, value in keywords:
        new = cst.Arg(value=value, keyword=cst.Name(keyword), equal=no_spaces)
        if not args:
            args = [new]
            continue
        last = args[-1]
        if isinstance(last.comma, cst.Comma) and isinstance(
            last.comma.whitespace_after, cst.ParenthesizedWhitespace
        ):
            # one argument a line: the new one takes the last one's line break before the
            # closing parenthesis, the last one the break between arguments; a comment
            # after the last argument stays on its line
            closing = last.comma.whitespace_after
            between = args[-2].comma if len(args) > 1 else None
            if not isinstance(between, cst.Comma) or not isinstance(
                between.whitespace_after, cst.ParenthesizedWhitespace
            ):
                between = _break_like(last.comma)
            assert isinstance(between.whitespace_after, cst.ParenthesizedWhitespace)
            kept = between.whitespace_after.with_changes(first_line=closing.first_line)
            args[-1] = last.with_changes(comma=between.with_changes(whitespace_after=kept))
            plain = closing.with_changes(first_line=between.whitespace_after.first_line)
            args.append(new.with_changes(comma=last.comma.with_changes(whitespace_after=plain)))
        else:
            args[-1] = last.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            args.append(new)
    return call.with_changes(args=args)


def _break_like(comma: cst.Comma) -> cst.Comma:
    """A comma breaking the line as ``comma`` does, indented one level more."""
    space = comma.whitespace_after
    assert isinstance(space, cst.ParenthesizedWhitespace)
    indent = space.last_line.value + "    "
    return comma.with_changes(
        whitespace_after=space.with_changes(last_line=cst.SimpleWhitespace(indent))
    )


def _insert_after_imports(module: cst.Module, statements: list[str]) -> cst.Module:
    """Statements inserted after the module's last top-level import (after its docstring
    when it imports nothing at the top)."""
    body = list(module.body)
    index = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Import | cst.ImportFrom) for small in stmt.body
        ):
            index = i + 1
        elif (
            i == 0
            and isinstance(stmt, cst.SimpleStatementLine)
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
            and index == 0
        ):
            index = 1
    made = [cst.parse_statement(text + "\n") for text in dict.fromkeys(statements)]
    if index < len(body) and made:
        made[0] = made[0].with_changes(leading_lines=[cst.EmptyLine()])
    return module.with_changes(body=[*body[:index], *made, *body[index:]])


def replacements(finding: Finding) -> list[tuple[int, int, str]]:
    """The finding's fix alone as line replacements ``(first line, last line, new text)``
    of its file (last line = first line - 1: an insertion before the first line); [] when
    it has none or it cannot be applied. SARIF carries these."""
    if finding.edit is None or is_notebook(Path(finding.path)):
        return []
    try:
        fixed = fix_file(finding.path, [finding])
    except (OSError, cst.ParserSyntaxError):
        return []
    if not fixed.fixed:
        return []
    before, after = fixed.before.splitlines(), fixed.after.splitlines()
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes.append((i1 + 1, i2, "".join(line + "\n" for line in after[j1:j2])))
    return changes
