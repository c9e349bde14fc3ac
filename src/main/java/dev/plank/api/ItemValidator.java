package dev.plank.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.MultiMap;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks request input before it reaches SQL. Every check runs even after one fails, adding to a
 * shared list, so that a 422 names all invalid fields at once (path, query and body), as FastAPI
 * does.
 */
final class ItemValidator {
  static final int NAME_MAX = 200;

  private ItemValidator() {}

  /** POST and PUT: a full item, {@code name} required, {@code value} defaulting to null. */
  static ItemWrite full(JsonNode body, List<FieldError> errors) {
    if (!isObject(body, errors)) return null;
    JsonNode name = body.get("name");
    if (name == null) errors.add(new FieldError("name", "is required"));
    String validName = name == null ? null : name(name, errors);
    return ItemWrite.full(validName, value(body.get("value"), errors));
  }

  /** PATCH: any subset of the fields; members that are absent are left as they are. */
  static ItemWrite partial(JsonNode body, List<FieldError> errors) {
    if (!isObject(body, errors)) return null;
    JsonNode name = body.get("name");
    JsonNode value = body.get("value");
    String validName = name == null ? null : name(name, errors);
    Integer validValue = value(value, errors);
    return new ItemWrite(name != null, validName, value != null, validValue);
  }

  static long id(String raw) {
    List<FieldError> errors = new ArrayList<>();
    long id = id(raw, errors);
    ValidationException.throwIfAny(errors);
    return id;
  }

  static long id(String raw, List<FieldError> errors) {
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException e) {
      errors.add(new FieldError("id", "must be an integer"));
      return 0;
    }
  }

  static ListQuery listQuery(MultiMap params) {
    List<FieldError> errors = new ArrayList<>();
    long limit = integer(params, "limit", ListQuery.DEFAULT_LIMIT, 1, ListQuery.MAX_LIMIT, errors);
    long offset = integer(params, "offset", 0, 0, Long.MAX_VALUE, errors);
    OffsetDateTime since = timestamp(params, "since", errors);
    ValidationException.throwIfAny(errors);
    return new ListQuery((int) limit, offset, since);
  }

  private static boolean isObject(JsonNode body, List<FieldError> errors) {
    if (body != null && body.isObject()) return true;
    boolean absent = body == null || body.isMissingNode();
    errors.add(
        new FieldError("body", absent ? "is required: a JSON object" : "must be a JSON object"));
    return false;
  }

  private static String name(JsonNode node, List<FieldError> errors) {
    if (!node.isTextual()) {
      errors.add(new FieldError("name", "must be a string"));
      return null;
    }
    String name = node.textValue();
    // Characters as a person counts them: a character outside the BMP is one, not two.
    int length = name.codePointCount(0, name.length());
    if (length < 1) {
      errors.add(new FieldError("name", "must have at least 1 character"));
    } else if (length > NAME_MAX) {
      errors.add(new FieldError("name", "must have at most " + NAME_MAX + " characters"));
    } else if (name.indexOf('\0') >= 0) {
      // PostgreSQL text cannot hold NUL; caught here it is the client's error, not a 500.
      errors.add(new FieldError("name", "must not contain the NUL character"));
    }
    return name;
  }

  private static Integer value(JsonNode node, List<FieldError> errors) {
    if (node == null || node.isNull()) return null;
    // Strict on purpose: "5" or 5.0 is accepted by no other client of the table either.
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      errors.add(
          new FieldError(
              "value",
              "must be an integer from "
                  + Integer.MIN_VALUE
                  + " to "
                  + Integer.MAX_VALUE
                  + ", or null"));
      return null;
    }
    return node.intValue();
  }

  private static long integer(
      MultiMap params, String param, long fallback, long min, long max, List<FieldError> errors) {
    String raw = last(params, param);
    if (raw == null) return fallback;
    try {
      long parsed = Long.parseLong(raw.trim());
      if (parsed >= min && parsed <= max) return parsed;
    } catch (NumberFormatException e) {
      // reported below, with the same message as an out-of-range number
    }
    errors.add(
        new FieldError(
            param,
            max == Long.MAX_VALUE
                ? "must be an integer >= " + min
                : "must be an integer from " + min + " to " + max));
    return fallback;
  }

  private static OffsetDateTime timestamp(MultiMap params, String param, List<FieldError> errors) {
    String raw = last(params, param);
    if (raw == null) return null;
    // An unencoded '+' in a query string decodes to a space; put it back, since a space can only
    // have been the sign of a "+01:00" style offset.
    String text = raw.trim().replace(' ', '+');
    try {
      OffsetDateTime parsed = OffsetDateTime.parse(text);
      // Far beyond PostgreSQL's timestamptz range the database would fail instead of answering.
      if (parsed.getYear() >= 1 && parsed.getYear() <= 9999) return parsed;
    } catch (DateTimeParseException e) {
      // reported below
    }
    errors.add(
        new FieldError(
            param, "must be an ISO-8601 timestamp with offset, e.g. 2026-01-31T12:00:00Z"));
    return null;
  }

  // Like FastAPI (Starlette), a repeated query parameter takes its last value.
  private static String last(MultiMap params, String param) {
    List<String> values = params.getAll(param);
    return values.isEmpty() ? null : values.get(values.size() - 1);
  }
}
