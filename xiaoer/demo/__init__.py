"""The demo store: catalogue, generated buyers/orders/shipments/promotions, loader, jieba dictionary."""
