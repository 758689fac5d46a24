"""saerl foundry: trains the bundled model and SAE, exports model packs, and finetunes packs."""
