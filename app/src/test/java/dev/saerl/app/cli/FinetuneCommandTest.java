package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FinetuneCommandTest {
  @Test
  void saerlHasAFinetuneSubcommandWhoseHelpSaysWhatTrainsAndWhatIsPublished() {
    CommandLine cli = new CommandLine(new FinetuneCommand());
    assertTrue(List.of(Main.class.getAnnotation(CommandLine.Command.class).subcommands()).contains(FinetuneCommand.class));
    String help = cli.getUsageMessage();
    for (String must : List.of("--dataset", "--every", "--arm", "--trainer-command", "--trainer-timeout", "KNOWN-val",
        "UNKNOWN", "paired sign test", "model-versions", "<dataset>-<arm>-r<round>", "--bootstrap-servers")) {
      assertTrue(help.contains(must), "help names " + must + ":\n" + help);
    }
  }

  @Test
  void withoutADatasetItRefusesToStart() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new FinetuneCommand());
    cli.setErr(new PrintWriter(err));
    assertEquals(2, cli.execute());
    assertTrue(err.toString().contains("--dataset"), err.toString());
  }
}
