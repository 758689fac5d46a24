package dev.saerl.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The saerl command: one subcommand per role that works. */
@Command(name = "saerl", mixinStandardHelpOptions = true, version = "saerl 0.1.0",
    description = {
        "Improves a language model's chain-of-thought reasoning with sparse-autoencoder features,",
        "as an event-driven system on Kafka. Run 'saerl <command> --help' for each command."},
    subcommands = {UpCommand.class, BrokerCommand.class, IngestCommand.class, WorkerCommand.class, StreamsCommand.class, CorrectorCommand.class, FinetuneCommand.class, DemoCommand.class, VerifyCommand.class, CheckPackCommand.class, GatesCommand.class, ExperimentCommand.class, ServeCommand.class, ExamineCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "On failure, print the stack trace too (also SAERL_VERBOSE=1).")
  boolean verbose;

  private Main() {}

  public static void main(String[] args) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> Failures.print(cmd.getErr(), cmd.getCommandName(), e,
        main.verbose || Failures.verboseByEnvironment()));
    System.exit(cli.execute(args));
  }
}
