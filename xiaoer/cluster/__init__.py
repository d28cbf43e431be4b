"""The clustered run (`make run-cluster`): replicas behind nginx on PostgreSQL, Redis and RabbitMQ."""
