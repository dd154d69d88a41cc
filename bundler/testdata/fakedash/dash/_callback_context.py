"""Fake dash._callback_context: the context variable a callback reads (callback_context)."""
import contextvars

context_value = contextvars.ContextVar("callback_context")
