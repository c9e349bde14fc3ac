package dev.plank.bench;

/** A running attack of the abuse scenario, in this process ({@link Attack}) or another one. */
interface Attacker extends AutoCloseable {
  /** Starts attacking (everything slow, such as starting a JVM, happened before). */
  void start();

  /** What the attack did so far, from the attacker's side. */
  Attack.Stats stats();

  /** Ends the attack and every connection it holds. */
  @Override
  void close();
}
