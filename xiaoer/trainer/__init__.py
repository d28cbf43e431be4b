"""The AI trainer's online loop: live conversations mined for what the bot missed (docs/trainer.md)."""
