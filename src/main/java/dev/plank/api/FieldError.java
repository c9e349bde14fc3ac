package dev.plank.api;

/** One invalid input: which field (body member, query or path parameter) and what is wrong. */
record FieldError(String field, String message) {}
