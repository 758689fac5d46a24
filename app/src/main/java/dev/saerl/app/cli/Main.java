package dev.saerl.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The saerl command: one subcommand per role that works. */
@Command(name = "saerl", mixinStandardHelpOptions = true, version = "saerl 0.1.0",
    description = {
        "Improves a language model's chain-of-thought reasoning with sparse-autoencoder features,",
        "as an event-driven system on Kafka. Run 'saerl <command> --help' for each command."},
    subcommands = {UpCommand.class, IngestCommand.class, WorkerCommand.class, StreamsCommand.class, CorrectorCommand.class, DemoCommand.class, VerifyCommand.class, CheckPackCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("saerl " + cmd.getCommandName() + ": " + e.getMessage());
      return 1;
    });
    System.exit(cli.execute(args));
  }
}
