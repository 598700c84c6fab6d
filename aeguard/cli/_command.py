"""The click classes behind the ``aeguard`` commands: the one place user errors are reported.

Every command raises; :class:`Group` reports. A user error (click's usage
errors, including values outside an option's declared range, and
``ValueError`` or ``OSError`` from a command) ends the run with one line,
``error: ...``, on stderr and exit status 2, never a traceback.
"""

import sys

import typer
from typer.core import TyperCommand, TyperGroup

from .errors import one_line

#: Exit status for mistakes the user can fix; click uses it for usage errors too.
USER_ERROR = 2

# click's exception classes, from typer's own parameter error: typer may bundle
# its own copy of click, whose classes are not the installed click's.
_CLICK_ERRORS = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
_UsageError = _CLICK_ERRORS["UsageError"]
_ClickException = _CLICK_ERRORS["ClickException"]


class _FlagHelp:
    """``--help`` listed as a flag, with no value type beside it."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


class Command(_FlagHelp, TyperCommand):
    """An ``aeguard`` command: its usage line names arguments as they are written (``FILE``).

    typer writes a required argument as ``{file}`` in the usage line; here it
    is its metavar, bare when required and in brackets when optional.
    """

    def collect_usage_pieces(self, ctx):
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                pieces += param.get_usage_pieces(ctx)
                continue
            name = param.metavar or param.name.upper()
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class Group(_FlagHelp, TyperGroup):
    """The ``aeguard`` command group: user errors become one line on stderr and exit status 2.

    Caught here: click's usage errors (unknown options, values outside an
    option's declared range), and ``ValueError`` and ``OSError`` from a
    command, which cover :class:`InputError`, model-file errors, the
    estimators' bad-input errors, pandas' parser errors and unreadable or
    unwritable files.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _UsageError as err:
            if type(err).__name__ == "NoArgsIsHelpError":  # no arguments: the help, as usual
                err.show()
                code = err.exit_code
            else:
                code = _report(err.format_message())
        except (ValueError, OSError) as err:
            code = _report(err)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            code = 1
        except _ClickException as err:
            err.show()
            code = err.exit_code
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _report(err):
    typer.echo(f"error: {one_line(err)}", err=True)
    return USER_ERROR
