export interface Product {
  readonly name: string;
  readonly slug: string;
  readonly priceCents: number;
  readonly currency: string;
}
