"""Catalog: listings (products with variants, services, vouchers), categories and images."""
