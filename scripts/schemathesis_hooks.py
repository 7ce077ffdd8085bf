"""Hooks for scripts/contract.sh."""

import schemathesis
from schemathesis import GenerationMode


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # A page cursor is opaque: only one the server issued names a page, so a cursor generated as
    # "valid" is not, and the server rightly refuses it. Such cases go without one; generated
    # invalid cursors still go out and must be refused.
    meta = case.meta
    positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.query and "cursor" in case.query:
        del case.query["cursor"]
