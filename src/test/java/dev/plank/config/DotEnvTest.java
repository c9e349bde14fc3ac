package dev.plank.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code .env}: what it understands, and one line naming file, line and problem otherwise. */
class DotEnvTest {
  @Test
  void understandsCommentsQuotesAndExport() {
    DotEnv env =
        DotEnv.parse(
            ".env",
            """
            # comment
            export PLANK_PORT=8100
            PLANK_HOST="0.0.0.0"
            DATABASE_URL='postgresql://x@y/z' # trailing
            PLANK_TABLES=items # trailing

            EMPTY=
            """);
    assertThat(env.values())
        .containsEntry("PLANK_PORT", "8100")
        .containsEntry("PLANK_HOST", "0.0.0.0")
        .containsEntry("DATABASE_URL", "postgresql://x@y/z")
        .containsEntry("PLANK_TABLES", "items")
        .containsEntry("EMPTY", "")
        .hasSize(5);
    assertThat(env.lines()).containsEntry("PLANK_PORT", 2).containsEntry("PLANK_TABLES", 5);
  }

  @Test
  void aLineWithoutEqualsNamesFileLineAndName() {
    assertThatThrownBy(() -> DotEnv.parse(".env", "PLANK_HOST=0.0.0.0\nPLANK_PORT 18001\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(".env line 2: expected NAME=value, but there is no '=' after PLANK_PORT");
  }

  @Test
  void aLineThatIsNotASettingNeverEchoesItsText() {
    assertThatThrownBy(() -> DotEnv.parse("x/.env", "\n\npostgresql://app:s3cret@db/x\n"))
        .hasMessage("x/.env line 3: expected NAME=value, but the line has no '='")
        .message()
        .doesNotContain("s3cret");
    assertThatThrownBy(() -> DotEnv.parse(".env", "MY VAR=1"))
        .hasMessage(
            ".env line 1: expected NAME=value, but the name before '=' is not a variable name");
  }

  @Test
  void anUnbalancedQuoteNamesTheVariableAndTheLine() {
    assertThatThrownBy(
            () -> DotEnv.parse(".env", "PLANK_PORT=8000\nDATABASE_URL=\"postgresql://u:pw@h/db\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(".env line 2: DATABASE_URL: the value's opening \" is never closed")
        .message()
        .doesNotContain("pw@h");
    assertThatThrownBy(() -> DotEnv.parse(".env", "PLANK_HOST='a' b"))
        .hasMessage(".env line 1: PLANK_HOST: unexpected text after the closing ' of the value");
  }

  @Test
  void unknownPlankNamesAreWarnedWithTheClosestKnownName() {
    DotEnv file = DotEnv.parse(".env", "PLANK_PROT=18001\nOTHER_APP=1\nPLANK_TABELS=orders\n");
    assertThat(
            UnknownSettings.warnings(
                file,
                Map.of(
                    "PLANK_HOTS", "0.0.0.0",
                    "PLANK_PORT", "1",
                    "PLANK_URL", "http://x",
                    "PLANK_ZZZZZZZZZZZZ", "1",
                    "HOME", "/root")))
        .containsExactly(
            ".env line 1: PLANK_PROT is not a Plank setting (did you mean PLANK_PORT?); ignored",
            ".env line 3: PLANK_TABELS is not a Plank setting (did you mean PLANK_TABLES?);"
                + " ignored",
            "environment variable PLANK_HOTS is not a Plank setting (did you mean PLANK_HOST?);"
                + " ignored",
            "environment variable PLANK_ZZZZZZZZZZZZ is not a Plank setting; ignored");
  }
}
