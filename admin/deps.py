"""Dependencies every console route declares: who may call it, and the posted form."""

from typing import Annotated

from fastapi import Depends, Path
from starlette.datastructures import FormData

from admin.auth import BRAND, MEMBER, Staff, read_form, signed_in

# Any signed-in person (brand partners too), even an admin who must still turn on two-factor:
# enrolling, signing out.
SignedIn = Annotated[Staff, Depends(signed_in(MEMBER, enrolling=True))]
# Any signed-in person, brand partners too: their own account.
Member = Annotated[Staff, Depends(signed_in(MEMBER))]
# A brand partner, on the pages of the businesses that let it see them.
Brand = Annotated[Staff, Depends(signed_in(BRAND))]
Viewer = Annotated[Staff, Depends(signed_in("viewer"))]
Worker = Annotated[Staff, Depends(signed_in("staff"))]
Admin = Annotated[Staff, Depends(signed_in("admin"))]
Form = Annotated[FormData, Depends(read_form)]

# A row id in a console address: anything else (letters, zero, huge numbers) is a missing page.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
