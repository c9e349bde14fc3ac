package dev.plank.api;

/**
 * The fields a request writes. For POST and PUT both are always set (a missing value means null);
 * PATCH sets only those present in the body, which is why "absent" and "null" are kept apart.
 */
record ItemWrite(boolean setsName, String name, boolean setsValue, Integer value) {
  static ItemWrite full(String name, Integer value) {
    return new ItemWrite(true, name, true, value);
  }

  boolean isEmpty() {
    return !setsName && !setsValue;
  }
}
