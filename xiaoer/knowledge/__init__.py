"""The FAQ knowledge base: knowledge/*.yml, its checks, its build into Rasa data, its answers.

docs/knowledge.md describes the file format, docs/answer-payload.md what channels receive.
"""

from xiaoer.knowledge.model import Answer, Category, Entry, Knowledge, KnowledgeError, Problem
from xiaoer.knowledge.repository import KnowledgeRepository

__all__ = ["Answer", "Category", "Entry", "Knowledge", "KnowledgeError", "KnowledgeRepository", "Problem"]
