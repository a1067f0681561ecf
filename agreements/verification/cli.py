"""``odr agreements verify FILE.pdf``: the verification page, on the command line.

Exit status 0 only when the file is intact (signature, whole-file coverage,
chain to the platform root, timestamp, a document the platform knows); 1 when
it is not; 2 when it cannot be read or is not a PDF.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agreements.verification.verify import NotAPdf, VerificationResult, verify_pdf

agreements_app = typer.Typer(help="Agreements: verify signed PDFs", no_args_is_help=True)
console = Console()


def _print(result: VerificationResult) -> None:
    mark = "[green]✓ intact[/]" if result.intact else "[red]✗ NOT intact[/]"
    console.print(f"{mark}  sha256 {result.sha256}")
    console.print(f"  signed: {result.signed}  signature intact: {result.signature_intact}  "
                  f"covers whole file: {result.covers_whole_file}")
    console.print(f"  chain to platform root: {result.chain_trusted}  "
                  f"timestamp: {result.timestamp_valid} ({result.timestamp or '-'})")
    if result.signer:
        console.print(f"  signer: {result.signer} [{result.signer_unit}]  signed at {result.signed_at}")
    doc = result.document
    if doc is not None:
        what = f"{doc.kind} {doc.code or ''}".strip()
        if doc.agreement_id is not None:
            what += f" (agreement {doc.agreement_id}"
            what += f", version {doc.version})" if doc.version is not None else ")"
        console.print(f"  document: {what}, case {doc.case_id}; "
                      f"stored copy matches: {doc.matches_stored_copy}")
    for problem in result.problems:
        console.print(f"  [yellow]- {problem}[/]")


@agreements_app.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="the PDF to check")]) -> None:
    """Check a signed agreement, ruling or mediation statement PDF."""
    from odr.services import Services
    from odr.settings import Settings

    try:
        data = file.read_bytes()
    except OSError as exc:
        console.print(f"[red]✗[/] cannot read {file}: {exc.strerror}")
        raise typer.Exit(2) from exc

    async def go() -> VerificationResult:
        settings = Settings()
        settings.ensure_dirs()
        services = Services.build(settings)
        try:
            return await verify_pdf(services, data)
        finally:
            await services.close()

    try:
        result = asyncio.run(go())
    except NotAPdf as exc:
        console.print(f"[red]✗[/] {file}: {exc}")
        raise typer.Exit(2) from exc
    _print(result)
    raise typer.Exit(0 if result.intact else 1)
