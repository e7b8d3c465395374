"""Small Sphinx extension for this book (``sphinx: local_extensions`` in _config.yml).

1. References to the package's top-level names resolve. Docstrings may write
   ``:func:`rankbound.order``` (the name a reader calls) while book/api.md documents the function
   where it is defined (``rankbound.ranking.order``). When a Python reference to
   ``rankbound.<name>`` finds no target and ``<name>`` is re-exported by the package, it is
   resolved to the defining module's object. Anything else stays unresolved (and warns under -n).

2. The TeX macros are defined once, in ``mathjax3_config.tex.macros``; for the optional LaTeX/PDF
   build the same macros are written into the LaTeX preamble.
"""

from __future__ import annotations

import importlib
import pkgutil

PACKAGE = "rankbound"


def _home(module, name: str) -> str | None:
    """The submodule that defines (functions, classes) or exports (constants) ``name``."""
    obj = getattr(module, name)
    home = getattr(obj, "__module__", None) if callable(obj) or isinstance(obj, type) else None
    if home and home != module.__name__:
        return home
    for info in pkgutil.iter_modules(module.__path__):
        if not info.name.startswith("_"):
            sub = importlib.import_module(f"{module.__name__}.{info.name}")
            if name in getattr(sub, "__all__", ()):
                return sub.__name__
    return None


def _resolve_reexport(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    package, _, name = node.get("reftarget", "").rpartition(".")
    if package != PACKAGE or not name:
        return None
    module = importlib.import_module(package)
    if name not in getattr(module, "__all__", ()):
        return None
    home = _home(module, name)
    if home is None:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], f"{home}.{name}", node, contnode
    )


def latex_macros(macros: dict) -> str:
    """``\\newcommand`` lines for MathJax macros (``name: body`` or ``name: [body, nargs]``)."""
    lines = []
    for name, body in macros.items():
        nargs = 0
        if isinstance(body, (list, tuple)):
            body, nargs = body[0], int(body[1]) if len(body) > 1 else 0
        args = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines)


def _latex_preamble(app, config):
    macros = ((config.mathjax3_config or {}).get("tex") or {}).get("macros") or {}
    if macros:
        elements = dict(config.latex_elements or {})
        elements["preamble"] = elements.get("preamble", "") + "\n" + latex_macros(macros) + "\n"
        config.latex_elements = elements


def setup(app):
    app.connect("missing-reference", _resolve_reexport)
    app.connect("config-inited", _latex_preamble)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
