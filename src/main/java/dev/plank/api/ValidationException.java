package dev.plank.api;

import java.util.List;

/** Invalid client input, answered with 422 and the full list of errors. */
final class ValidationException extends RuntimeException {
  private final List<FieldError> errors;

  ValidationException(List<FieldError> errors) {
    super(errors.toString(), null, false, false); // control flow, not a bug: no stack trace
    this.errors = List.copyOf(errors);
  }

  static void throwIfAny(List<FieldError> errors) {
    if (!errors.isEmpty()) throw new ValidationException(errors);
  }

  List<FieldError> errors() {
    return errors;
  }
}
