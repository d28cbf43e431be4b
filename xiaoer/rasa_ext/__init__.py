"""Extensions loaded by the Rasa server through module paths in its YAML files."""
