"""What the analysis knows about an expression that builds a tensor.

A tensor is the result of a torch factory under any alias (``torch.zeros``, ``torch.arange``, ...),
a tensor method on a tensor (``.float()``, ``.view()``, indexing), or arithmetic with a tensor
operand whose other operand is a number, a tensor, or an unknown value that is not a container.
Anything else is not known to be a tensor. Each tensor carries what the fix choice needs: its
dtype family, whether its values are random, whether they are a structured constant that
``__init__`` recreates, and whether it asks for gradients.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from ._facts import Names

RANDOM_FACTORIES = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "bernoulli", "multinomial", "poisson",
})
STRUCTURED_FACTORIES = frozenset({"eye", "arange", "linspace", "logspace", "tril", "triu", "range", "tril_indices",
                                  "triu_indices"})
PLAIN_FACTORIES = frozenset({"zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like"})
LITERAL_FACTORIES = frozenset({"tensor", "as_tensor", "from_numpy", "Tensor", "FloatTensor", "DoubleTensor",
                               "HalfTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"})
# functions of tensors that give a tensor of the same kind
TENSOR_FUNCTIONS = frozenset({
    "cat", "stack", "outer", "exp", "log", "sin", "cos", "sqrt", "rsqrt", "pow", "abs", "sigmoid", "tanh",
    "softmax", "cumsum", "cumprod", "einsum", "matmul", "mm", "bmm", "where", "clamp", "flip", "roll",
    "diag", "diagflat", "polar", "complex", "reciprocal", "erf", "floor", "ceil", "round", "unsqueeze",
    "reshape", "transpose", "repeat_interleave", "kron", "cdist", "argsort", "sort", "maximum", "minimum",
    "triu", "tril", "masked_fill", "view_as_real", "view_as_complex", "atan2", "exp2", "log2", "sign",
})
INTEGER_DTYPES = frozenset({"long", "int", "int64", "int32", "int16", "int8", "uint8", "short", "bool"})
FLOAT_DTYPES = frozenset({"float", "float32", "float64", "double", "half", "float16", "bfloat16",
                          "complex64", "complex128", "cfloat", "cdouble"})
SAME_KIND_METHODS = frozenset({
    "to", "view", "reshape", "unsqueeze", "squeeze", "t", "transpose", "permute", "expand", "expand_as",
    "repeat", "contiguous", "clone", "detach", "flatten", "flip", "cuda", "cpu", "type_as", "view_as",
    "reshape_as", "masked_fill", "clamp", "exp", "log", "sqrt", "pow", "abs", "neg", "sum", "mean",
    "cumsum", "softmax", "sigmoid", "tanh", "sin", "cos", "unfold", "narrow", "roll", "tril", "triu",
    "requires_grad_", "normal_", "uniform_", "fill_", "zero_", "mul", "add", "sub", "div", "matmul",
    "float", "double", "half", "bfloat16", "long", "int", "bool", "short", "byte",
})


@dataclass(frozen=True)
class TensorInfo:
    dtype: str  # "int" (bool included), "float", or "unknown"
    random: bool = False
    structured: bool = False  # eye/arange/linspace/tril/literals: __init__ recreates the same values
    plain: bool = False  # zeros/ones/full/empty: how learnable scales and gates start
    requires_grad: bool = False
    source: str = ""  # the factory, for messages


def _dtype_of(keyword_value: ast.expr) -> str:
    name = keyword_value.attr if isinstance(keyword_value, ast.Attribute) else getattr(keyword_value, "id", "")
    if name in INTEGER_DTYPES:
        return "int"
    if name in FLOAT_DTYPES:
        return "float"
    return "unknown"


def _number_kind(node: ast.expr) -> str | None:
    """int/float for numeric literals (and unary minus), None otherwise."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return "float" if isinstance(node.value, float) else "int"
    return None


class Tensors:
    """Tensor inference inside one file (names resolved through the file's imports)."""

    def __init__(self, names: Names, locals_of):
        self.names = names
        self._locals_of = locals_of  # function -> {name: binding nodes}

    def info(self, expr: ast.expr | None, function=None, _depth: int = 0) -> TensorInfo | None:
        if expr is None or _depth > 12:
            return None
        if isinstance(expr, ast.Call):
            return self._call(expr, function, _depth)
        if isinstance(expr, ast.Subscript):
            inner = self.info(expr.value, function, _depth + 1)
            return inner
        if isinstance(expr, ast.BinOp):
            return self._arithmetic(expr, function, _depth)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            return self.info(expr.operand, function, _depth + 1)
        if isinstance(expr, ast.Compare) and len(expr.comparators) == 1:
            sides = [self.info(side, function, _depth + 1) for side in (expr.left, expr.comparators[0])]
            known = [side for side in sides if side]
            if known:
                return TensorInfo("int", random=any(side.random for side in known),
                                  structured=all(side.structured for side in known), source="a comparison")
            return None
        if isinstance(expr, ast.Name) and function is not None:
            sites = self._locals_of(function).get(expr.id, [])
            if len(sites) == 1 and isinstance(sites[0], ast.Assign) and len(sites[0].targets) == 1:
                return self.info(sites[0].value, function, _depth + 1)
        return None

    def _call(self, call: ast.Call, function, depth: int) -> TensorInfo | None:
        qualname = self.names.qualname(call.func)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        requires_grad = isinstance(keywords.get("requires_grad"), ast.Constant) and keywords["requires_grad"].value is True
        if qualname and qualname.startswith("torch.") and qualname.count(".") == 1:
            name = qualname[6:]
            dtype = _dtype_of(keywords["dtype"]) if "dtype" in keywords else None
            if name in ("randperm", "randint", "randint_like"):
                return TensorInfo(dtype or "int", random=True, requires_grad=requires_grad, source=f"torch.{name}")
            if name in RANDOM_FACTORIES:
                return TensorInfo(dtype or "float", random=True, requires_grad=requires_grad, source=f"torch.{name}")
            if name in ("arange", "range"):
                numbers = {_number_kind(a) for a in call.args}
                guessed = "float" if "float" in numbers else ("int" if numbers <= {"int", None} else "unknown")
                return TensorInfo(dtype or guessed, structured=True, requires_grad=requires_grad, source=f"torch.{name}")
            if name in STRUCTURED_FACTORIES:
                inner = self.info(call.args[0], function, depth + 1) if call.args and name in ("tril", "triu") else None
                base_dtype = inner.dtype if inner else ("int" if name.endswith("_indices") else "float")
                return TensorInfo(dtype or base_dtype, structured=True, random=bool(inner and inner.random),
                                  requires_grad=requires_grad, source=f"torch.{name}")
            if name in PLAIN_FACTORIES:
                fill = call.args[1] if name == "full" and len(call.args) > 1 else keywords.get("fill_value")
                guessed = "float"
                if name == "full" and fill is not None and _number_kind(fill) == "int":
                    guessed = "int"  # torch.full((n,), 3) is int64
                if name.endswith("_like") and call.args:
                    inner = self.info(call.args[0], function, depth + 1)
                    guessed = inner.dtype if inner else "unknown"
                return TensorInfo(dtype or guessed, plain=True, requires_grad=requires_grad, source=f"torch.{name}")
            if name in LITERAL_FACTORIES:
                literal = call.args[0] if call.args else None
                guessed = _literal_dtype(literal) if name in ("tensor", "as_tensor") else (
                    "int" if name in ("LongTensor", "IntTensor", "BoolTensor", "ByteTensor") else "float")
                structured = isinstance(literal, (ast.List, ast.Tuple, ast.Constant))
                return TensorInfo(dtype or guessed, structured=structured, requires_grad=requires_grad,
                                  source=f"torch.{name}")
            if name in TENSOR_FUNCTIONS:
                arguments = [e for a in call.args for e in (a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a])]
                inner = [self.info(a, function, depth + 1) for a in arguments]
                known = [i for i in inner if i]
                if not known:
                    return None
                return _combine(known, dtype)
            return None
        if isinstance(call.func, ast.Attribute) and call.func.attr in SAME_KIND_METHODS:
            inner = self.info(call.func.value, function, depth + 1)
            if inner is None:
                return None
            method = call.func.attr
            if method in ("float", "double", "half", "bfloat16"):
                return replace(inner, dtype="float")
            if method in ("long", "int", "bool", "short", "byte"):
                return replace(inner, dtype="int")
            if method == "to":
                for arg in list(call.args) + [keywords.get("dtype")]:
                    if arg is not None and _dtype_of(arg) != "unknown":
                        return replace(inner, dtype=_dtype_of(arg))
            if method == "requires_grad_":
                flag = call.args[0] if call.args else keywords.get("requires_grad")
                if flag is None or (isinstance(flag, ast.Constant) and flag.value is True):
                    return replace(inner, requires_grad=True)
            if method in ("normal_", "uniform_"):
                return replace(inner, random=True, plain=False)
            return inner
        return None

    def _arithmetic(self, expr: ast.BinOp, function, depth: int) -> TensorInfo | None:
        left = self.info(expr.left, function, depth + 1)
        right = self.info(expr.right, function, depth + 1)
        if left is None and right is None:
            return None
        other = expr.right if left is not None else expr.left
        if left is None or right is None:
            if isinstance(other, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
                                  ast.SetComp, ast.GeneratorExp, ast.JoinedStr)) or (
                    isinstance(other, ast.Constant) and not isinstance(other.value, (int, float))):
                return None
        known = [i for i in (left, right) if i]
        result = _combine(known, None)
        number = _number_kind(other) if len(known) == 1 else None
        if isinstance(expr.op, ast.Div) or number == "float" or (number is None and len(known) == 1):
            # true division and float operands give floats; an unknown scale usually is one
            if isinstance(expr.op, ast.Div) or number == "float":
                result = replace(result, dtype="float")
            elif result.dtype == "int" and number is None:
                result = replace(result, dtype="unknown")
        return result


def _combine(infos: list[TensorInfo], dtype: str | None) -> TensorInfo:
    dtypes = {i.dtype for i in infos}
    merged = dtype or ("float" if "float" in dtypes else ("int" if dtypes == {"int"} else "unknown"))
    return TensorInfo(
        merged,
        random=any(i.random for i in infos),
        structured=all(i.structured for i in infos),
        plain=all(i.plain for i in infos) and not any(i.random for i in infos),
        requires_grad=any(i.requires_grad for i in infos),
        source=" and ".join(sorted({i.source for i in infos if i.source})),
    )


def _literal_dtype(literal: ast.expr | None) -> str:
    values = []
    stack = [literal]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.List, ast.Tuple)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Constant):
            values.append(node.value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            values.append(node.operand.value)
        else:
            return "unknown"
    if values and all(isinstance(v, bool) or isinstance(v, int) for v in values):
        return "int"
    if any(isinstance(v, float) for v in values):
        return "float"
    return "unknown"
