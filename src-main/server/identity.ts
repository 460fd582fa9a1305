/** Who a call acts as: the JWT `identity` claim, ClearML's field names. */
export interface Identity {
  user: string;
  company: string;
  role: string;
  user_name: string;
  company_name: string;
}
